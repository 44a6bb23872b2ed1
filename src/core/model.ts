/**
 * The one internal form every OTLP encoding decodes into. Ids are lowercase hex, times are
 * nanoseconds since the epoch as decimal strings (int64 does not fit a JS number), and
 * attribute values are plain JSON-able values.
 */

/** An attribute value: OTLP AnyValue as a plain value. int64 beyond 2^53 stays a decimal string; bytes become base64. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export type StatusCode = 'unset' | 'ok' | 'error';

/** OTLP SpanKind numbers: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type SpanKindNumber = 0 | 1 | 2 | 3 | 4 | 5;

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: SpanKindNumber;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: { code: StatusCode; message: string };
  resource: Resource;
  scope: Scope;
}

export interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  /** Empty when the record is not tied to a span. */
  traceId: string;
  spanId: string;
  eventName: string;
  resource: Resource;
  scope: Scope;
}

/** What a decoder hands on: the accepted items and a count and reason for the rejected ones. */
export interface DecodedBatch<T> {
  items: T[];
  rejected: number;
  rejectReasons: string[];
  /** Items kept but cut to the decode limits (otlp/limits.ts), and what was cut as Cut flags; absent when none. */
  truncated?: number;
  truncatedFlags?: number;
}

/** Nanosecond strings to milliseconds, exactly enough for display (BigInt keeps the subtraction exact). */
export function durationMs(startNano: string, endNano: string): number {
  const d = BigInt(endNano) - BigInt(startNano);
  return Number(d) / 1e6;
}

/** A trace's log records by the span they belong to (records of no span are left out). */
export function logsBySpan(logs: LogRecord[]): Map<string, LogRecord[]> {
  const bySpan = new Map<string, LogRecord[]>();
  for (const log of logs) {
    if (!log.spanId) continue;
    const list = bySpan.get(log.spanId);
    if (list) list.push(log);
    else bySpan.set(log.spanId, [log]);
  }
  return bySpan;
}
