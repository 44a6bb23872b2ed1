/** The JSON shapes `spanlens show` prints: a stable contract for scripts and tests. */
import path from 'node:path';
import type { LlmCall, SpanCategory, ToolExecution } from '../../shared/llm.js';
import type { SourceLocation } from '../../shared/source.js';
import { type Attributes, type LogRecord, type Span, type StatusCode, durationMs, logsBySpan } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import type { Price } from '../normalize/prices.js';
import { serviceOf } from '../store/rows.js';
import { TraceSources } from '../source/resolve.js';
import type { WorkspaceIndex } from '../source/workspaceIndex.js';
import { type SpanStore, StoreError, type TraceSummary } from '../store/spanStore.js';

export interface ShownSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startTimeUnixNano: string;
  durationMs: number;
  status: StatusCode;
  kind: SpanCategory;
  attributes: Attributes;
  llm?: LlmCall;
  tool?: ToolExecution;
  /** With a workspace: where the span was made, or null when nowhere found. */
  source?: ShownSource | null;
}

/** A SourceLocation whose path is relative to the workspace when inside it. */
export type ShownSource = SourceLocation;

export function shownSource(loc: SourceLocation | null, root: string, relatives = new Map<string, string>()): ShownSource | null {
  if (!loc) return null;
  let shownPath = relatives.get(loc.path);
  if (shownPath === undefined) {
    const rel = path.relative(root, loc.path);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    relatives.set(loc.path, (shownPath = inside ? rel.split(path.sep).join('/') : loc.path));
  }
  return { ...loc, path: shownPath };
}

export function showTraceList(store: SpanStore): TraceSummary[] {
  return store.listTraces(Number.MAX_SAFE_INTEGER);
}

/** One span as `spanlens show TRACE_ID` prints it. */
export function shownSpan(s: Span, logs: LogRecord[], prices?: Record<string, Price>): ShownSpan {
  const n = normalizeSpan(s, logs, { prices });
  const shown: ShownSpan = {
    spanId: s.spanId,
    parentSpanId: s.parentSpanId || null,
    name: s.name,
    service: serviceOf(s.resource),
    startTimeUnixNano: s.startTimeUnixNano,
    durationMs: durationMs(s.startTimeUnixNano, s.endTimeUnixNano),
    status: s.status.code,
    kind: n.kind,
    attributes: s.attributes,
  };
  if (n.llm) shown.llm = n.llm;
  if (n.tool) shown.tool = n.tool;
  return shown;
}

/**
 * `{ traceId, spans }` in chunks: the same text as `JSON.stringify({ traceId, spans }, null, 2)`
 * (or, not `pretty`, without the whitespace: for programs, about half the size and faster to
 * print), written span by span so that a large trace is never held twice, as objects and as one
 * string. With a workspace index, each span also gets its `source`.
 */
export function* showTraceJson(store: SpanStore, traceId: string, prices?: Record<string, Price>, workspace?: WorkspaceIndex, pretty = true): Generator<string> {
  const spans = store.getTrace(traceId);
  if (spans.length === 0) throw new StoreError(`no trace ${traceId} in this database; "spanlens show --json" lists the trace ids it has`);
  const logs = logsBySpan(store.logsForTrace(traceId));
  // An empty workspace places nothing: skip the resolver, every source is null.
  const sources = workspace && workspace.fileCount > 0 ? new TraceSources(spans, logs, workspace) : null;
  const relatives = new Map<string, string>();
  // JSON strings hold no raw newline, so every newline is between tokens: indent it two levels.
  const print = pretty ? (o: ShownSpan): string => JSON.stringify(o, null, 2).replaceAll('\n', '\n    ') : (o: ShownSpan): string => JSON.stringify(o);
  const [first, next] = pretty ? ['\n    ', ',\n    '] : ['', ','];
  yield pretty ? `{\n  "traceId": ${JSON.stringify(traceId)},\n  "spans": [` : `{"traceId":${JSON.stringify(traceId)},"spans":[`;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    const shown = shownSpan(s, logs.get(s.spanId) ?? [], prices);
    // The call shownSpan normalized serves the prompt match too: a span is normalized once.
    if (workspace) shown.source = sources ? shownSource(sources.get(s, shown.llm ?? null), workspace.root, relatives) : null;
    yield (i === 0 ? first : next) + print(shown);
  }
  yield pretty ? '\n  ]\n}' : ']}';
}
