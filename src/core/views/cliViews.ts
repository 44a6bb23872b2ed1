/** The JSON shapes `spanlens show` prints: a stable contract for scripts and tests. */
import type { LlmCall, SpanCategory, ToolExecution } from '../../shared/llm.js';
import { type Attributes, type LogRecord, type Span, type StatusCode, durationMs } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import type { Price } from '../normalize/prices.js';
import { serviceOf } from '../store/rows.js';
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
 * `{ traceId, spans }` in chunks: the same text as `JSON.stringify({ traceId, spans }, null, 2)`,
 * written span by span so that a large trace is never held twice, as objects and as one string.
 */
export function* showTraceJson(store: SpanStore, traceId: string, prices?: Record<string, Price>): Generator<string> {
  const spans = store.getTrace(traceId);
  if (spans.length === 0) throw new StoreError(`no trace ${traceId} in this database; "spanlens show --json" lists the trace ids it has`);
  const logs = logsBySpan(store.logsForTrace(traceId));
  yield `{\n  "traceId": ${JSON.stringify(traceId)},\n  "spans": [`;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    // JSON strings hold no raw newline, so every newline is between tokens: indent it two levels.
    yield (i === 0 ? '\n    ' : ',\n    ') + JSON.stringify(shownSpan(s, logs.get(s.spanId) ?? [], prices), null, 2).replaceAll('\n', '\n    ');
  }
  yield '\n  ]\n}';
}

function logsBySpan(logs: LogRecord[]): Map<string, LogRecord[]> {
  const bySpan = new Map<string, LogRecord[]>();
  for (const log of logs) {
    const list = bySpan.get(log.spanId) ?? [];
    list.push(log);
    bySpan.set(log.spanId, list);
  }
  return bySpan;
}
