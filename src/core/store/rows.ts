/** Conversions between the internal span form and store rows. */
import type { AttrValue, LogRecord, Resource, Scope, Span, SpanKindNumber, StatusCode } from '../model.js';

export const STATUS_CODES: StatusCode[] = ['unset', 'ok', 'error'];

/** Pads a nanosecond string to 20 digits so that text order is numeric order. */
export const padNs = (ns: string): string => ns.padStart(20, '0');
export const unpadNs = (ns: string): string => ns.replace(/^0+(?=\d)/, '');

export function serviceOf(resource: Resource): string {
  const name = resource.attributes['service.name'];
  return typeof name === 'string' && name ? name : 'unknown_service';
}

/** Span fields that are rarely set live in one JSON column, absent when all are defaults. */
export function spanExtra(s: Span): string | null {
  if (!s.traceState && !s.flags && !s.droppedAttributesCount && !s.droppedEventsCount && !s.droppedLinksCount) return null;
  return JSON.stringify({
    traceState: s.traceState,
    flags: s.flags,
    droppedAttributesCount: s.droppedAttributesCount,
    droppedEventsCount: s.droppedEventsCount,
    droppedLinksCount: s.droppedLinksCount,
  });
}

export type SpanRow = [
  traceId: string,
  spanId: string,
  parentSpanId: string,
  name: string,
  kind: number,
  startNs: string,
  endNs: string,
  statusCode: number,
  statusMessage: string,
  resourceId: number,
  scopeId: number,
  attributes: string,
  events: string | null,
  links: string | null,
  extra: string | null,
];

export function spanFromRow(row: SpanRow, resource: Resource, scope: Scope): Span {
  const extra = row[14] ? (JSON.parse(row[14]) as Partial<Span>) : {};
  return {
    traceId: row[0],
    spanId: row[1],
    parentSpanId: row[2],
    traceState: extra.traceState ?? '',
    flags: extra.flags ?? 0,
    name: row[3],
    kind: row[4] as SpanKindNumber,
    startTimeUnixNano: unpadNs(row[5]),
    endTimeUnixNano: unpadNs(row[6]),
    attributes: JSON.parse(row[11]),
    droppedAttributesCount: extra.droppedAttributesCount ?? 0,
    events: row[12] ? JSON.parse(row[12]) : [],
    droppedEventsCount: extra.droppedEventsCount ?? 0,
    links: row[13] ? JSON.parse(row[13]) : [],
    droppedLinksCount: extra.droppedLinksCount ?? 0,
    status: { code: STATUS_CODES[row[7]] ?? 'unset', message: row[8] },
    resource,
    scope,
  };
}

export type LogRow = [
  traceId: string,
  spanId: string,
  timeNs: string,
  observedNs: string,
  severityNumber: number,
  severityText: string,
  eventName: string,
  body: string,
  attributes: string,
  resourceId: number,
  scopeId: number,
  extra: string | null,
];

export function logFromRow(row: LogRow, resource: Resource, scope: Scope): LogRecord {
  const extra = row[11] ? (JSON.parse(row[11]) as Partial<LogRecord>) : {};
  return {
    traceId: row[0],
    spanId: row[1],
    timeUnixNano: unpadNs(row[2]),
    observedTimeUnixNano: unpadNs(row[3]),
    severityNumber: row[4],
    severityText: row[5],
    eventName: row[6],
    body: JSON.parse(row[7]) as AttrValue,
    attributes: JSON.parse(row[8]),
    droppedAttributesCount: extra.droppedAttributesCount ?? 0,
    flags: extra.flags ?? 0,
    resource,
    scope,
  };
}
