/**
 * The internal form back to OTLP/JSON (ExportTraceServiceRequest / ExportLogsServiceRequest),
 * grouped by resource and scope, for export files. Decoding what this writes gives the same
 * spans: integers go out as intValue strings, other numbers as doubleValue, objects as kvlists.
 */
import type { AttrValue, Attributes, LogRecord, Resource, Scope, Span } from '../model.js';

type JsonAnyValue = Record<string, unknown>;

export function anyValueJson(v: AttrValue): JsonAnyValue {
  if (v === null) return {};
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'number':
      if (Number.isInteger(v)) return { intValue: String(v) };
      return { doubleValue: Number.isFinite(v) ? v : String(v) };
    default:
      if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValueJson) } };
      return { kvlistValue: { values: keyValuesJson(v) } };
  }
}

export function keyValuesJson(a: Attributes): { key: string; value: JsonAnyValue }[] {
  return Object.entries(a).map(([key, value]) => ({ key, value: anyValueJson(value) }));
}

const STATUS = { unset: 0, ok: 1, error: 2 };

function resourceJson(r: Resource): Record<string, unknown> {
  return { attributes: keyValuesJson(r.attributes), droppedAttributesCount: r.droppedAttributesCount };
}

function scopeJson(s: Scope): Record<string, unknown> {
  return { name: s.name, version: s.version, attributes: keyValuesJson(s.attributes), droppedAttributesCount: s.droppedAttributesCount };
}

/** Groups items by their resource and scope (by value), keeping first-seen order. */
function group<T extends { resource: Resource; scope: Scope }>(items: T[]): { resource: Resource; scopes: { scope: Scope; items: T[] }[] }[] {
  const byResource = new Map<string, { resource: Resource; scopes: Map<string, { scope: Scope; items: T[] }> }>();
  for (const item of items) {
    const rKey = JSON.stringify(item.resource);
    let r = byResource.get(rKey);
    if (!r) byResource.set(rKey, (r = { resource: item.resource, scopes: new Map() }));
    const sKey = JSON.stringify(item.scope);
    let s = r.scopes.get(sKey);
    if (!s) r.scopes.set(sKey, (s = { scope: item.scope, items: [] }));
    s.items.push(item);
  }
  return [...byResource.values()].map((r) => ({ resource: r.resource, scopes: [...r.scopes.values()] }));
}

export function tracesRequestJson(spans: Span[]): Record<string, unknown> {
  return {
    resourceSpans: group(spans).map(({ resource, scopes }) => ({
      resource: resourceJson(resource),
      schemaUrl: resource.schemaUrl,
      scopeSpans: scopes.map(({ scope, items }) => ({
        scope: scopeJson(scope),
        schemaUrl: scope.schemaUrl,
        spans: items.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          traceState: s.traceState,
          flags: s.flags,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startTimeUnixNano,
          endTimeUnixNano: s.endTimeUnixNano,
          attributes: keyValuesJson(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount,
          events: s.events.map((e) => ({ timeUnixNano: e.timeUnixNano, name: e.name, attributes: keyValuesJson(e.attributes), droppedAttributesCount: e.droppedAttributesCount })),
          droppedEventsCount: s.droppedEventsCount,
          links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, traceState: l.traceState, attributes: keyValuesJson(l.attributes), droppedAttributesCount: l.droppedAttributesCount, flags: l.flags })),
          droppedLinksCount: s.droppedLinksCount,
          status: { code: STATUS[s.status.code], message: s.status.message },
        })),
      })),
    })),
  };
}

export function logsRequestJson(logs: LogRecord[]): Record<string, unknown> {
  return {
    resourceLogs: group(logs).map(({ resource, scopes }) => ({
      resource: resourceJson(resource),
      schemaUrl: resource.schemaUrl,
      scopeLogs: scopes.map(({ scope, items }) => ({
        scope: scopeJson(scope),
        schemaUrl: scope.schemaUrl,
        logRecords: items.map((l) => ({
          timeUnixNano: l.timeUnixNano,
          observedTimeUnixNano: l.observedTimeUnixNano,
          severityNumber: l.severityNumber,
          severityText: l.severityText,
          body: anyValueJson(l.body),
          attributes: keyValuesJson(l.attributes),
          droppedAttributesCount: l.droppedAttributesCount,
          flags: l.flags,
          traceId: l.traceId,
          spanId: l.spanId,
          eventName: l.eventName,
        })),
      })),
    })),
  };
}
