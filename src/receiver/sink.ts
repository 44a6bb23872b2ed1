/** What the receiver hands decoded batches to: the span store, or anything with its two methods. */
import type { LogRecord, Span } from '../core/model.js';
import type { RawBody } from '../core/store/spanStore.js';

export interface IngestSink {
  addSpans(spans: Span[], raw?: RawBody): number;
  addLogs(logs: LogRecord[], raw?: RawBody): number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
