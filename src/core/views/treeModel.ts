/**
 * What the Runs & Traces tree shows, decided without VS Code: labels, descriptions, tooltip
 * Markdown (trace text escaped: it is untrusted), span hierarchies built from timeline rows, and
 * the filters. src/vscode/traceTree.ts only turns these into TreeItems.
 */
import type { RunSummary, TraceSummary } from '../store/spanTables.js';
import { formatCost, formatDuration } from '../../shared/format.js';
import { safeLine } from './safeText.js';
import type { SpanCategory } from '../../shared/llm.js';
import type { TimelineSpan, TraceView } from '../../shared/traceView.js';

/** Codicon ids by span kind. */
export const KIND_ICONS: Record<SpanCategory, string> = {
  llm: 'sparkle',
  embedding: 'symbol-array',
  tool: 'tools',
  agent: 'robot',
  chain: 'link',
  retriever: 'search',
  reranker: 'list-ordered',
  guardrail: 'shield',
  evaluator: 'checklist',
  http: 'globe',
  db: 'database',
  other: 'circle-outline',
};

/** Longest piece of trace text put in a label or tooltip line. */
const MAX_TEXT = 200;

export interface TreeFilter {
  errorsOnly: boolean;
  llmOnly: boolean;
  /** Text search: the text and the trace ids the store found for it. */
  search: { text: string; traceIds: ReadonlySet<string> } | null;
}

export const NO_FILTER: TreeFilter = { errorsOnly: false, llmOnly: false, search: null };

export function filterActive(f: TreeFilter): boolean {
  return f.errorsOnly || f.llmOnly || f.search !== null;
}

/** One line of at most MAX_TEXT characters, escapes removed and invisible characters shown (safeText.ts): for labels and descriptions. */
export function oneLine(text: string, max = MAX_TEXT): string {
  return safeLine(text, max);
}

/**
 * Trace text as literal Markdown: every punctuation Markdown or HTML could act on is
 * backslash-escaped, so a span name cannot make a link, an image, HTML or a heading.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[\\`*_{}[\]()<>#+\-.!|~:&"'=$]/g, (c) => `\\${c}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Nanoseconds since the epoch (decimal string) to a Date. */
export function dateOf(unixNano: string): Date {
  return new Date(Number(BigInt(unixNano) / 1_000_000n));
}

/** `14:02:07` today, `Nov 3, 14:02:07` on other days (local time). */
export function shortTime(unixNano: string, now = new Date()): string {
  const d = dateOf(unixNano);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
}

export function runLabel(run: RunSummary): string {
  return oneLine(run.service || 'unknown service');
}

export function runDescription(run: RunSummary, now?: Date): string {
  const parts = [shortTime(run.startTimeUnixNano, now), plural(run.traceCount, 'trace')];
  if (run.pinned) parts.push('pinned');
  return parts.join(' · ');
}

export function runTooltip(run: RunSummary): string {
  return [
    `**Run** ${escapeMarkdown(run.explicit ? run.runId : run.service)}`,
    '',
    `- Service: ${escapeMarkdown(run.service)}`,
    `- Started: ${escapeMarkdown(dateOf(run.startTimeUnixNano).toLocaleString())}`,
    `- Traces: ${run.traceCount}`,
    `- Pinned: ${run.pinned ? 'yes (kept by retention)' : 'no'}`,
  ].join('\n');
}

export function traceLabel(t: TraceSummary): string {
  return oneLine(t.name || t.traceId);
}

function tokensOf(t: TraceSummary): number {
  return t.inputTokens + t.outputTokens;
}

/** `4 spans · 1.2 s · 2 LLM · 143 tok · $0.0004 · 1 error`, after `pinned` when pinned. */
export function traceDescription(t: TraceSummary): string {
  const parts = [plural(t.spanCount, 'span'), formatDuration(t.durationMs)];
  if (t.pinned) parts.unshift('pinned');
  if (t.llmCalls) parts.push(`${t.llmCalls} LLM`);
  if (tokensOf(t)) parts.push(`${tokensOf(t)} tok`);
  if (t.costUsd !== null) parts.push(formatCost(t.costUsd));
  if (t.errorCount) parts.push(plural(t.errorCount, 'error'));
  if (t.truncatedSpans) parts.push(`${plural(t.truncatedSpans, 'span')} over the limit`);
  return parts.join(' · ');
}

export function traceTooltip(t: TraceSummary): string {
  const lines = [
    `**${escapeMarkdown(t.name || '(unnamed trace)')}**`,
    '',
    `- Service: ${escapeMarkdown(t.service)}`,
    `- Started: ${escapeMarkdown(dateOf(t.startTimeUnixNano).toLocaleString())}`,
    `- Spans: ${t.spanCount}`,
    `- Duration: ${escapeMarkdown(formatDuration(t.durationMs))}`,
    `- LLM calls: ${t.llmCalls}`,
    `- Tokens: ${tokensOf(t)} (${t.inputTokens} in, ${t.outputTokens} out)`,
    `- Cost: ${t.costUsd === null ? 'unknown' : escapeMarkdown(formatCost(t.costUsd))}`,
    `- Errors: ${t.errorCount}`,
  ];
  if (t.truncatedSpans) lines.push(`- Not stored: ${t.truncatedSpans} more spans, past the limit of spans per trace (\`spanlens.limits.spansPerTrace\`)`);
  if (t.pinned) lines.push('- Pinned (kept by retention)');
  lines.push('', `Trace id \`${t.traceId.replace(/[^0-9a-fA-F]/g, '')}\``);
  return lines.join('\n');
}

/** The summary beside a span's name, with its structural marks. */
export function spanDescription(s: TimelineSpan): string {
  const parts = [oneLine(s.summary)];
  if (s.missingParent) parts.push('missing parent');
  if (s.cycleCut) parts.push('parent cycle cut');
  return parts.join(' · ');
}

export function spanTooltip(s: TimelineSpan): string {
  const lines = [
    `**${escapeMarkdown(s.name || '(unnamed span)')}**`,
    '',
    `- Kind: ${s.kind}`,
    `- Service: ${escapeMarkdown(s.service)}`,
    `- ${escapeMarkdown(s.summary)}`,
  ];
  if (s.ttftMs !== null) lines.push(`- Time to first token: ${escapeMarkdown(formatDuration(s.ttftMs))}`);
  if (s.error) lines.push('- Status: **error**');
  if (s.missingParent) lines.push('- Its parent span is not in the trace (not received, or lost)');
  if (s.cycleCut) lines.push('- Its parent chain loops back to it; the loop was cut here');
  if (s.skewMs) lines.push(`- Shifted ${escapeMarkdown(formatDuration(Math.abs(s.skewMs)))} for clock skew`);
  return lines.join('\n');
}

/** A trace's spans as a tree: roots (with orphans and cut cycles) and children by parent, in row order. */
export interface SpanHierarchy {
  roots: TimelineSpan[];
  children: Map<string, TimelineSpan[]>;
  byId: Map<string, TimelineSpan>;
}

export function buildHierarchy(view: Pick<TraceView, 'spans'>): SpanHierarchy {
  const byId = new Map<string, TimelineSpan>();
  for (const s of view.spans) byId.set(s.id, s);
  const roots: TimelineSpan[] = [];
  const children = new Map<string, TimelineSpan[]>();
  for (const s of view.spans) {
    const parent = s.parentId !== null && s.parentId !== s.id ? byId.get(s.parentId) : undefined;
    if (!parent) {
      roots.push(s);
      continue;
    }
    let list = children.get(parent.id);
    if (!list) children.set(parent.id, (list = []));
    list.push(s);
  }
  return { roots, children, byId };
}

/** The parent a span is shown under in a hierarchy, or null when it is a root there. */
export function shownParent(h: SpanHierarchy, spanId: string): TimelineSpan | null {
  const s = h.byId.get(spanId);
  if (!s || s.parentId === null) return null;
  const parent = h.byId.get(s.parentId);
  return parent && parent.id !== s.id ? parent : null;
}

/** Keeps the spans `keep` accepts and their ancestors (so each match keeps its place). */
export function pruneHierarchy(h: SpanHierarchy, keep: (s: TimelineSpan) => boolean): SpanHierarchy {
  const kept = new Set<string>();
  const visit = (s: TimelineSpan): boolean => {
    let any = keep(s);
    for (const c of h.children.get(s.id) ?? []) if (visit(c)) any = true;
    if (any) kept.add(s.id);
    return any;
  };
  for (const r of h.roots) visit(r);
  const byId = new Map([...h.byId].filter(([id]) => kept.has(id)));
  const children = new Map<string, TimelineSpan[]>();
  for (const [id, list] of h.children) {
    const shown = list.filter((c) => kept.has(c.id));
    if (kept.has(id) && shown.length) children.set(id, shown);
  }
  return { roots: h.roots.filter((r) => kept.has(r.id)), children, byId };
}

export function traceMatches(t: TraceSummary, f: TreeFilter): boolean {
  if (f.errorsOnly && t.errorCount === 0) return false;
  if (f.llmOnly && t.llmCalls === 0) return false;
  if (f.search && !f.search.traceIds.has(t.traceId)) return false;
  return true;
}

/** The spans a trace shows under a filter: errors and LLM calls with their ancestors; a text search shows them all. */
export function filterHierarchy(h: SpanHierarchy, f: TreeFilter): SpanHierarchy {
  if (!f.errorsOnly && !f.llmOnly) return h;
  return pruneHierarchy(h, (s) => (!f.errorsOnly || s.error) && (!f.llmOnly || s.kind === 'llm'));
}

/** Runs that have at least one trace the filter keeps, given traces (of any runs). */
export function runsWithMatches(traces: readonly TraceSummary[], f: TreeFilter): Set<string> {
  const runs = new Set<string>();
  for (const t of traces) if (traceMatches(t, f)) runs.add(t.runId);
  return runs;
}

/** `errors only · LLM calls only · "refund"`: the view's description while filtered; '' otherwise. */
export function filterDescription(f: TreeFilter): string {
  const parts: string[] = [];
  if (f.errorsOnly) parts.push('errors only');
  if (f.llmOnly) parts.push('LLM calls only');
  if (f.search) parts.push(`“${oneLine(f.search.text, 40)}”`);
  return parts.join(' · ');
}

/** The view's message while filtered. */
export function filterMessage(f: TreeFilter): string {
  return `Filtered: ${filterDescription(f)}`;
}

/** The view's message while a filter hides everything. */
export function emptyFilterMessage(f: TreeFilter): string {
  return `No traces match (${filterDescription(f)}). Use "Clear Filter" in the view's title bar to show all traces.`;
}
