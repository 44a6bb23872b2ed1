/** What the receiver hands decoded batches to: the span store, or anything with its two methods. */
import type { LogRecord, Span } from '../core/model.js';
import type { RawBody } from '../core/store/spanStore.js';

/** The span store in-process (SpanStore) or in its worker (StoreClient). */
export interface IngestSink {
  addSpans(spans: Span[], raw?: RawBody): number | Promise<number>;
  addLogs(logs: LogRecord[], raw?: RawBody): number | Promise<number>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
