/** What the receiver hands decoded batches to: the span store, or anything with its two methods. */
import type { LogRecord, Span } from '../core/model.js';
import type { AddSpansResult, RawBody } from '../core/store/spanStore.js';

/** The span store in-process (SpanStore) or in its worker (StoreClient). */
export interface IngestSink {
  addSpans(spans: Span[], raw?: RawBody): number | Promise<number>;
  /** As addSpans, also saying how many spans a trace's span limit kept out (the store has it). */
  addSpansCounted?(spans: Span[], raw?: RawBody): AddSpansResult | Promise<AddSpansResult>;
  addLogs(logs: LogRecord[], raw?: RawBody): number | Promise<number>;
  /** True while a batch would be refused as busy: the receiver then answers before decoding it. */
  readonly busy?: boolean;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
