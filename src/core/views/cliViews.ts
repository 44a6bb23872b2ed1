/** The JSON shapes `spanlens show` prints: a stable contract for scripts and tests. */
import { durationMs } from '../model.js';
import { StoreError, type SpanStore, type TraceSummary } from '../store/spanStore.js';
import { serviceOf } from '../store/rows.js';
import type { Attributes, StatusCode } from '../model.js';

export interface ShownSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startTimeUnixNano: string;
  durationMs: number;
  status: StatusCode;
  attributes: Attributes;
}

export function showTraceList(store: SpanStore): TraceSummary[] {
  return store.listTraces(Number.MAX_SAFE_INTEGER);
}

export function showTrace(store: SpanStore, traceId: string): { traceId: string; spans: ShownSpan[] } {
  const spans = store.getTrace(traceId);
  if (spans.length === 0) throw new StoreError(`no trace ${traceId} in this database; "spanlens show --json" lists the trace ids it has`);
  return {
    traceId,
    spans: spans.map((s) => ({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId || null,
      name: s.name,
      service: serviceOf(s.resource),
      startTimeUnixNano: s.startTimeUnixNano,
      durationMs: durationMs(s.startTimeUnixNano, s.endTimeUnixNano),
      status: s.status.code,
      attributes: s.attributes,
    })),
  };
}
