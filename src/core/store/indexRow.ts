/**
 * What the store indexes of a span: ids, times, status, and the LLM call summary (kind, model,
 * tokens, cost) from normalization. Computed apart from the SQL so that it can run on another
 * thread than the database (the receiver's thread decodes and indexes, the store's inserts).
 */
import type { Resource, Span } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import type { Price } from '../normalize/prices.js';
import type { SpanCategory } from '../../shared/llm.js';
import { padNs, serviceOf } from './rows.js';
import { type RunKey, runKeyOf } from './runs.js';

export interface IndexRow {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** Zero-padded nanoseconds. */
  start: string;
  end: string;
  status: 0 | 1 | 2;
  category: SpanCategory;
  /** Set for LLM and embedding calls only. */
  call: { model: string | null; inputTokens: number | null; outputTokens: number | null; costUsd: number | null } | null;
  service: string;
  run: RunKey;
}

/** Index rows for the spans of one batch (spans of one resource share its service and run key). */
export function indexRows(spans: Span[], prices?: Record<string, Price>): IndexRow[] {
  const byResource = new Map<Resource, { service: string; run: RunKey }>();
  return spans.map((s) => {
    let r = byResource.get(s.resource);
    if (!r) byResource.set(s.resource, (r = { service: serviceOf(s.resource), run: runKeyOf(s.resource) }));
    const n = normalizeSpan(s, [], { withContent: false, prices });
    const llm = n.llm;
    return {
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      start: padNs(s.startTimeUnixNano),
      end: padNs(s.endTimeUnixNano),
      status: s.status.code === 'error' ? 2 : s.status.code === 'ok' ? 1 : 0,
      category: n.kind,
      call: llm ? { model: llm.responseModel ?? llm.requestModel, inputTokens: llm.usage.inputTokens, outputTokens: llm.usage.outputTokens, costUsd: llm.costUsd } : null,
      service: r.service,
      run: r.run,
    };
  });
}
