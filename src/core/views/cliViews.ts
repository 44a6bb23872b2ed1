/** The JSON shapes `spanlens show` prints: a stable contract for scripts and tests. */
import type { LlmCall, SpanCategory, ToolExecution } from '../../shared/llm.js';
import { type Attributes, type LogRecord, type StatusCode, durationMs } from '../model.js';
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

export function showTrace(store: SpanStore, traceId: string, prices?: Record<string, Price>): { traceId: string; spans: ShownSpan[] } {
  const spans = store.getTrace(traceId);
  if (spans.length === 0) throw new StoreError(`no trace ${traceId} in this database; "spanlens show --json" lists the trace ids it has`);
  const logsBySpan = new Map<string, LogRecord[]>();
  for (const log of store.logsForTrace(traceId)) {
    const list = logsBySpan.get(log.spanId) ?? [];
    list.push(log);
    logsBySpan.set(log.spanId, list);
  }
  return {
    traceId,
    spans: spans.map((s) => {
      const n = normalizeSpan(s, logsBySpan.get(s.spanId) ?? [], { prices });
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
    }),
  };
}
