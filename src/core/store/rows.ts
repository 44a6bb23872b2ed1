/** Conversions between the internal span form and store rows. */
import type { AttrValue, LogRecord, Resource, Scope } from '../model.js';

/** Pads a nanosecond string to 20 digits so that text order is numeric order. */
export const padNs = (ns: string): string => ns.padStart(20, '0');
export const unpadNs = (ns: string): string => ns.replace(/^0+(?=\d)/, '');

export function serviceOf(resource: Resource): string {
  const name = resource.attributes['service.name'];
  return typeof name === 'string' && name ? name : 'unknown_service';
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
