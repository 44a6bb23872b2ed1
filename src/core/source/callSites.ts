/**
 * LLM calls grouped by the line of code that made them, for the editor surfaces: per file and
 * line, the latest call, how often the latest run made a call there, and the previous run's
 * matching call. Also how a site's line follows edits to its document. Pure: no `vscode`.
 */
import type { SourceLocation } from '../../shared/source.js';

/** One LLM (or embedding) call whose source location is known. */
export interface LocatedCall {
  traceId: string;
  spanId: string;
  runId: string;
  startTimeUnixNano: string;
  location: SourceLocation;
  /** `gpt-4o-mini · 1.2 s · 43 tok · $0.0004` */
  summary: string;
  name: string;
  error: boolean;
}

/** The calls made at one line of one file. */
export interface CallSite {
  path: string;
  /** 1-based; where the calls are now (after edits), which may differ from where they were recorded. */
  line: number;
  /** The most recent call at this line. */
  latest: LocatedCall;
  /** Calls at this line in the latest call's run, in start order. */
  latestRun: LocatedCall[];
  /** The previous run's call matched to `latest` (same position in its run's order), or null. */
  previous: LocatedCall | null;
  /** Every call at this line, newest first. */
  calls: LocatedCall[];
}

/** Sites by absolute file path, each file's sites ordered by line. */
export type SiteIndex = Map<string, CallSite[]>;

/** A document edit: the replaced range (1-based lines, 0-based characters) and how many line breaks the new text has. */
export interface LineChange {
  start: { line: number; character: number };
  end: { line: number; character: number };
  insertedLines: number;
}

const byStart = (a: LocatedCall, b: LocatedCall): number => {
  const x = BigInt(a.startTimeUnixNano);
  const y = BigInt(b.startTimeUnixNano);
  return x < y ? -1 : x > y ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
};

export function callKey(c: { traceId: string; spanId: string }): string {
  return `${c.traceId}/${c.spanId}`;
}

/** Calls of one site grouped by run, runs ordered by their latest call (oldest run first). */
function runsOf(calls: LocatedCall[]): LocatedCall[][] {
  const runs = new Map<string, LocatedCall[]>();
  for (const c of calls) {
    const list = runs.get(c.runId);
    if (list) list.push(c);
    else runs.set(c.runId, [c]);
  }
  const lists = [...runs.values()];
  for (const l of lists) l.sort(byStart);
  return lists.sort((a, b) => byStart(a[a.length - 1]!, b[b.length - 1]!));
}

/**
 * The previous run's call matched to `call` at the same site: the n-th call there in the run
 * before `call`'s run, for `call` the n-th in its own. Null when that run made fewer calls, or
 * when there is no earlier run.
 */
export function previousCall(siteCalls: LocatedCall[], call: { traceId: string; spanId: string }): LocatedCall | null {
  const runs = runsOf(siteCalls);
  const key = callKey(call);
  const r = runs.findIndex((run) => run.some((c) => callKey(c) === key));
  if (r <= 0) return null;
  const n = runs[r]!.findIndex((c) => callKey(c) === key);
  return runs[r - 1]![n] ?? null;
}

/**
 * Sites from calls, each placed at `lineOf(call)` (its recorded line, or where edits moved it;
 * null hides the call because its line was deleted or replaced).
 */
export function buildSites(calls: Iterable<LocatedCall>, lineOf: (call: LocatedCall) => number | null = (c) => c.location.line): SiteIndex {
  const grouped = new Map<string, Map<number, LocatedCall[]>>();
  for (const c of calls) {
    const line = lineOf(c);
    if (line === null || line < 1) continue;
    let lines = grouped.get(c.location.path);
    if (!lines) grouped.set(c.location.path, (lines = new Map()));
    const list = lines.get(line);
    if (list) list.push(c);
    else lines.set(line, [c]);
  }
  const index: SiteIndex = new Map();
  for (const [path, lines] of grouped) {
    const sites: CallSite[] = [];
    for (const [line, list] of lines) {
      const runs = runsOf(list);
      const latestRun = runs[runs.length - 1]!;
      const latest = latestRun[latestRun.length - 1]!;
      const previousRun = runs[runs.length - 2];
      sites.push({
        path,
        line,
        latest,
        latestRun,
        previous: previousRun?.[latestRun.length - 1] ?? null,
        calls: [...list].sort(byStart).reverse(),
      });
    }
    index.set(path, sites.sort((a, b) => a.line - b.line));
  }
  return index;
}

/** The site at a line of a file, if any. */
export function siteAt(index: SiteIndex, path: string, line: number): CallSite | undefined {
  return index.get(path)?.find((s) => s.line === line);
}

/** The site that holds a call, if any. */
export function siteOf(index: SiteIndex, call: { traceId: string; spanId: string }): CallSite | undefined {
  const key = callKey(call);
  for (const sites of index.values()) for (const s of sites) if (s.calls.some((c) => callKey(c) === key)) return s;
  return undefined;
}

/**
 * Where a line (1-based) is after an edit, or null when the edit deleted or replaced it: the
 * lens then disappears rather than pointing at other code. Typing within the line, or breaking
 * it after its start, keeps it; text inserted at its very start pushes it down.
 */
export function moveLine(line: number, change: LineChange): number | null {
  const { start, end, insertedLines } = change;
  const delta = insertedLines - (end.line - start.line);
  if (line < start.line) return line;
  if (line > end.line) return line + delta;
  const empty = start.line === end.line && start.character === end.character;
  if (start.line === end.line) {
    // An insertion at column 0 puts the new lines above this one's text.
    if (empty && start.character === 0) return line + insertedLines;
    return line;
  }
  // A multi-line range: untouched when it ends at this line's column 0, or starts after its column 0.
  if (line === end.line && end.character === 0) return line + delta;
  if (line === start.line && start.character > 0) return line;
  return null;
}
