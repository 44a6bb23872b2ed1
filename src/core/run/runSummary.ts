/**
 * The table `spanlens run` prints on stderr when the program ends: what the run did (spans,
 * LLM calls, tokens, cost, errors) and its slowest LLM call with where in the code it was made.
 * Pure: the caller reads the store.
 */
import path from 'node:path';
import type { TraceSummary } from '../store/spanTables.js';

export interface SlowestCall {
  name: string;
  durationMs: number;
  traceId: string;
  /** Absolute path and 1-based line of the call, when known. */
  location: { path: string; line: number } | null;
}

export interface RunTotals {
  traces: number;
  spans: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when no cost is known for any trace. */
  costUsd: number | null;
  /** Some trace had a model without a price: the cost is a lower bound. */
  costPartial: boolean;
  errors: number;
}

export function runTotals(traces: readonly TraceSummary[]): RunTotals {
  const t: RunTotals = { traces: traces.length, spans: 0, llmCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: null, costPartial: false, errors: 0 };
  for (const s of traces) {
    t.spans += s.spanCount;
    t.llmCalls += s.llmCalls;
    t.inputTokens += s.inputTokens;
    t.outputTokens += s.outputTokens;
    t.errors += s.errorCount;
    if (s.costUsd !== null) t.costUsd = (t.costUsd ?? 0) + s.costUsd;
    else if (s.llmCalls > 0) t.costPartial = true;
  }
  return t;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

function usd(n: number): string {
  if (n >= 0.01) return `$${n.toFixed(2)}`;
  // A test run of a small model costs fractions of a cent: two significant digits.
  return n === 0 ? '$0' : `$${Number(n.toPrecision(2)).toFixed(Math.max(4, -Math.floor(Math.log10(n)) + 1))}`;
}

/** `src/app.ts:12`, relative to the workspace when inside it. */
export function shortLocation(loc: { path: string; line: number }, workspace: string): string {
  const rel = path.relative(workspace, loc.path);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : loc.path;
  return `${shown}:${loc.line}`;
}

export interface SummaryInput {
  runId: string;
  traces: readonly TraceSummary[];
  slowest: SlowestCall | null;
  workspace: string;
  exitCode: number;
}

export function runSummaryText(input: SummaryInput): string {
  const t = runTotals(input.traces);
  const cost = t.costUsd === null ? (t.llmCalls > 0 ? 'unknown (no price for the model)' : '—') : `${usd(t.costUsd)}${t.costPartial ? ' (some models have no price)' : ''}`;
  const rows: [string, string][] = [
    ['run', input.runId],
    ['exit code', String(input.exitCode)],
    ['traces', String(t.traces)],
    ['spans', String(t.spans)],
    ['LLM calls', String(t.llmCalls)],
    ['tokens', `${t.inputTokens + t.outputTokens} (${t.inputTokens} in, ${t.outputTokens} out)`],
    ['cost', cost],
    ['errors', String(t.errors)],
  ];
  if (input.slowest) {
    const where = input.slowest.location ? ` at ${shortLocation(input.slowest.location, input.workspace)}` : '';
    rows.push(['slowest call', `${input.slowest.name} ${ms(input.slowest.durationMs)}${where}`]);
  }
  if (t.spans === 0) rows.push(['note', 'no spans arrived: does the program make calls the instrumentations know?']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return `\nspanlens: run summary\n${lines.join('\n')}\n`;
}
