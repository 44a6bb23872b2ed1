/** The JSON shapes `spanlens show` prints: a stable contract for scripts and tests. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { LlmCall, SpanCategory, ToolExecution } from '../../shared/llm.js';
import type { SourceLocation } from '../../shared/source.js';
import { type Attributes, type LogRecord, type Span, type StatusCode, durationMs, logsBySpan } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import { PRICES, type Price } from '../normalize/prices.js';
import { serviceOf } from '../store/rows.js';
import { TraceSources } from '../source/resolve.js';
import { WorkspaceIndex } from '../source/workspaceIndex.js';
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

/**
 * Bump when the JSON showTraceJson prints changes for the same spans: forms made by an older
 * version are then not used (test/unit/shownForm.test.ts fails until this is bumped).
 */
export const SHOWN_FORM_VERSION = 1;
/** Smaller traces show fast enough from their bodies: 1,000 spans take about 50 ms. */
export const FORM_MIN_SPANS = 1000;
/**
 * Printed text past this is not kept (an empty form stands for "too large", so the trace is not
 * tried again): making a form holds the whole text in the store worker's memory at once.
 */
export const FORM_MAX_CHARS = 32 * 1024 * 1024;

/** What a form is made by: the output's version and the shipped price table it costs calls with. */
export function shownFormVersion(): string {
  return `${SHOWN_FORM_VERSION}:${createHash('sha256').update(JSON.stringify(PRICES)).digest('hex').slice(0, 16)}`;
}

/**
 * The bytes `showTraceJson(store, traceId, undefined, <a workspace of no files>, false)` yields,
 * from the trace's kept form (store/shownForms.ts); undefined when it has no current one.
 */
export function shownFormJson(store: SpanStore, traceId: string): Buffer | undefined {
  const form = store.shownForm(traceId, shownFormVersion());
  return form?.length ? inflateRawSync(form) : undefined;
}

/** Makes and keeps the printed form of a trace, in a writable store; false when there is no such trace. */
function makeShownForm(store: SpanStore, traceId: string, version: string, maxChars: number): boolean {
  const key = store.formKey(traceId, version);
  if (key === undefined) return false;
  const chunks: string[] = [];
  let chars = 0;
  for (const chunk of showTraceJson(store, traceId, undefined, WorkspaceIndex.empty('.'), false)) {
    chars += chunk.length;
    if (chars > maxChars) break;
    chunks.push(chunk);
  }
  const form = chars > maxChars ? new Uint8Array(0) : deflateRawSync(chunks.join(''), { level: 1 });
  store.putShownForm({ traceId, key, form });
  return true;
}

/**
 * Makes the forms that traces of at least FORM_MIN_SPANS spans lack, the most recent first, until
 * `budgetMs` has passed (after one at least). `more`: it stopped for the budget, and traces may
 * still lack a form.
 */
export function makeShownForms(store: SpanStore, budgetMs = Infinity, maxChars = FORM_MAX_CHARS): { made: number; more: boolean } {
  const start = performance.now();
  const version = shownFormVersion();
  // Each trace once, whatever the store says of it after.
  const tried = new Set<string>();
  let made = 0;
  for (;;) {
    const ids = store.tracesWithoutForm(version, FORM_MIN_SPANS, tried.size + 16).filter((id) => !tried.has(id));
    if (ids.length === 0) return { made, more: false };
    for (const id of ids) {
      tried.add(id);
      if (makeShownForm(store, id, version, maxChars)) made++;
      if (performance.now() - start >= budgetMs) return { made, more: true };
    }
  }
}
