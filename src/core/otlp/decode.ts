/**
 * OTLP request bodies (protobuf bytes or OTLP/JSON text) to the internal form. A body that
 * cannot be read as a request at all throws OtlpDecodeError (the receiver answers 400 /
 * INVALID_ARGUMENT); a span or log record with a bad field is rejected alone and counted, so
 * the rest of its batch is kept (partial success). What is past the decode limits (limits.ts) is
 * cut and marked; only spans past the request's budget are rejected for it.
 */
import type { DecodedBatch, LogRecord, Resource, Scope, Span, SpanEvent, SpanKindNumber, SpanLink, StatusCode } from '../model.js';
import { decodeTraceRequest } from './decodeProto.js';
import { type Count, Cut, type Cutting, DEFAULT_DECODE_LIMITS, type DecodeLimits, countTruncated, cutting, fits, scratch, spend } from './limits.js';
import { ExportLogsServiceRequest, ExportTraceServiceRequest } from './schema.js';
import { FieldError, anyValue, id, keyValues, listOf, nameStr, nanos, shown, strCut, uint } from './values.js';

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

export type Encoding = 'protobuf' | 'json';

const STATUS: StatusCode[] = ['unset', 'ok', 'error'];
const STATUS_BY_NAME: Record<string, StatusCode> = {
  STATUS_CODE_UNSET: 'unset',
  STATUS_CODE_OK: 'ok',
  STATUS_CODE_ERROR: 'error',
};
const KIND_BY_NAME: Record<string, SpanKindNumber> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

type Obj = Record<string, unknown>;

function parseBody(body: Uint8Array, encoding: Encoding, proto: typeof ExportTraceServiceRequest): Obj {
  if (encoding === 'protobuf') {
    try {
      return proto.decode(body) as unknown as Obj;
    } catch (err) {
      throw new OtlpDecodeError(`body is not a valid ${proto.name} protobuf message: ${(err as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OtlpDecodeError(`body must be a JSON object (an ${proto.name})`);
  }
  return parsed as Obj;
}

/** Structure errors above the span level reject the whole request. */
function structure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FieldError) throw new OtlpDecodeError(err.message);
    throw err;
  }
}

function obj(v: unknown, field: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(`${field} must be an object`);
  return v as Obj;
}

function resourceOf(container: Obj, ctx: Cutting): Resource {
  const r = obj(container.resource, 'resource');
  const { attributes, dropped } = keyValues(r.attributes, 'resource.attributes', ctx);
  return {
    attributes,
    droppedAttributesCount: uint(r.droppedAttributesCount, 'resource.droppedAttributesCount') + dropped,
    schemaUrl: nameStr(container.schemaUrl, 'schemaUrl', ctx),
  };
}

function scopeOf(container: Obj, ctx: Cutting): Scope {
  const s = obj(container.scope, 'scope');
  const { attributes, dropped } = keyValues(s.attributes, 'scope.attributes', ctx);
  return {
    name: nameStr(s.name, 'scope.name', ctx),
    version: nameStr(s.version, 'scope.version', ctx),
    attributes,
    droppedAttributesCount: uint(s.droppedAttributesCount, 'scope.droppedAttributesCount') + dropped,
    schemaUrl: nameStr(container.schemaUrl, 'scopeSpans.schemaUrl', ctx),
  };
}

/** The items of a repeated field that fit (all are converted: see scratch in limits.ts), and how many did not. */
function capped<T>(list: unknown[], max: number, flag: number, ctx: Cutting, convert: (x: unknown, i: number, ctx: Cutting) => T): { kept: T[]; dropped: number } {
  const c: Count = { seen: 0, kept: 0 };
  const kept: T[] = [];
  list.forEach((x, i) => {
    if (fits(c, max, flag, ctx)) kept.push(convert(x, i, ctx));
    else convert(x, i, scratch(ctx));
  });
  return { kept, dropped: c.seen - c.kept };
}

function enumValue<T>(v: unknown, byName: Record<string, T>, byNumber: (n: number) => T | undefined, field: string): T {
  if (typeof v === 'number') {
    const out = byNumber(v);
    if (out !== undefined) return out;
  } else if (typeof v === 'string' && v in byName) {
    return byName[v] as T;
  }
  throw new FieldError(`${field} has an unknown value ${shown(v)}`);
}

function spanOf(s: Obj, resource: Resource, scope: Scope, ctx: Cutting): Span {
  const status = obj(s.status, 'status');
  // Attributes, events, links: protobuf's field order, so that the request's budget runs out at the same item.
  const attributes = keyValues(s.attributes, 'attributes', ctx);
  const events = capped(listOf(s.events, 'events'), ctx.limits.maxEvents, Cut.events, ctx, (e, i, ctx): SpanEvent => {
    const ev = obj(e, `events[${i}]`);
    const { attributes, dropped } = keyValues(ev.attributes, 'event.attributes', ctx);
    return {
      timeUnixNano: nanos(ev.timeUnixNano, 'event.timeUnixNano'),
      name: nameStr(ev.name, 'event.name', ctx),
      attributes,
      droppedAttributesCount: uint(ev.droppedAttributesCount, 'event.droppedAttributesCount') + dropped,
    };
  });
  const links = capped(listOf(s.links, 'links'), ctx.limits.maxLinks, Cut.links, ctx, (l, i, ctx): SpanLink => {
    const link = obj(l, `links[${i}]`);
    const { attributes, dropped } = keyValues(link.attributes, 'link.attributes', ctx);
    return {
      traceId: id(link.traceId, 16, 'link.traceId'),
      spanId: id(link.spanId, 8, 'link.spanId'),
      traceState: nameStr(link.traceState, 'link.traceState', ctx),
      attributes,
      droppedAttributesCount: uint(link.droppedAttributesCount, 'link.droppedAttributesCount') + dropped,
      flags: uint(link.flags, 'link.flags'),
    };
  });
  return {
    traceId: id(s.traceId, 16, 'traceId'),
    spanId: id(s.spanId, 8, 'spanId'),
    parentSpanId: id(s.parentSpanId, 8, 'parentSpanId', true),
    traceState: nameStr(s.traceState, 'traceState', ctx),
    flags: uint(s.flags, 'flags'),
    name: nameStr(s.name, 'name', ctx),
    kind: s.kind === undefined || s.kind === null ? 0 : enumValue(s.kind, KIND_BY_NAME, (n) => (n >= 0 && n <= 5 ? (n as SpanKindNumber) : undefined), 'kind'),
    startTimeUnixNano: nanos(s.startTimeUnixNano, 'startTimeUnixNano'),
    endTimeUnixNano: nanos(s.endTimeUnixNano, 'endTimeUnixNano'),
    attributes: attributes.attributes,
    droppedAttributesCount: uint(s.droppedAttributesCount, 'droppedAttributesCount') + attributes.dropped,
    events: events.kept,
    droppedEventsCount: uint(s.droppedEventsCount, 'droppedEventsCount') + events.dropped,
    links: links.kept,
    droppedLinksCount: uint(s.droppedLinksCount, 'droppedLinksCount') + links.dropped,
    status: {
      code: status.code === undefined || status.code === null ? 'unset' : enumValue(status.code, STATUS_BY_NAME, (n) => STATUS[n], 'status.code'),
      message: strCut(status.message, 'status.message', ctx.limits.maxValueBytes, Cut.message, ctx),
    },
    resource,
    scope,
  };
}

/** Keeps the first few distinct reasons, for the partial-success message. */
function reject<T>(batch: DecodedBatch<T>, err: unknown, what: string): void {
  if (!(err instanceof FieldError)) throw err;
  batch.rejected++;
  const reason = `${what}: ${err.message}`;
  if (batch.rejectReasons.length < 5 && !batch.rejectReasons.includes(reason)) batch.rejectReasons.push(reason);
}

/** `limits` cut what is past them (limits.ts); a store re-decoding a kept body may use others. */
export function decodeTraces(body: Uint8Array, encoding: Encoding, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedBatch<Span> {
  if (encoding === 'protobuf') {
    try {
      return decodeTraceRequest(body, limits);
    } catch (err) {
      throw new OtlpDecodeError(`body is not a valid ExportTraceServiceRequest protobuf message: ${(err as Error).message}`);
    }
  }
  return tracesFrom(parseBody(body, encoding, ExportTraceServiceRequest), limits);
}

/**
 * Protobuf through protobufjs's generated decoder and the generic conversion: the reference the
 * streaming decoder (decodeProto.ts) is checked against in the tests.
 */
export function decodeTracesReference(body: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedBatch<Span> {
  return tracesFrom(parseBody(body, 'protobuf', ExportTraceServiceRequest), limits);
}

function tracesFrom(req: Obj, limits: DecodeLimits): DecodedBatch<Span> {
  const batch: DecodedBatch<Span> = { items: [], rejected: 0, rejectReasons: [] };
  const ctx = cutting(limits);
  for (const rsRaw of structure(() => listOf(req.resourceSpans, 'resourceSpans'))) {
    const rs = structure(() => obj(rsRaw, 'resourceSpans[]'));
    ctx.cut = 0;
    const resource = structure(() => resourceOf(rs, ctx));
    const resourceCut = ctx.cut;
    for (const ssRaw of structure(() => listOf(rs.scopeSpans, 'scopeSpans'))) {
      const ss = structure(() => obj(ssRaw, 'scopeSpans[]'));
      ctx.cut = resourceCut;
      const scope = structure(() => scopeOf(ss, ctx));
      // A resource or scope cut counts against each of its spans: their context is incomplete.
      const contextCut = ctx.cut;
      for (const sRaw of structure(() => listOf(ss.spans, 'spans'))) {
        ctx.cut = contextCut;
        try {
          spend(ctx, 'span');
          batch.items.push(spanOf(obj(sRaw, 'span'), resource, scope, ctx));
          if (ctx.cut) countTruncated(batch, ctx.cut);
        } catch (err) {
          reject(batch, err, 'span rejected');
        }
      }
    }
  }
  return batch;
}

function logOf(l: Obj, resource: Resource, scope: Scope, ctx: Cutting): LogRecord {
  const attributes = keyValues(l.attributes, 'attributes', ctx);
  return {
    timeUnixNano: nanos(l.timeUnixNano, 'timeUnixNano'),
    observedTimeUnixNano: nanos(l.observedTimeUnixNano, 'observedTimeUnixNano'),
    severityNumber: l.severityNumber === undefined || l.severityNumber === null ? 0 : severity(l.severityNumber),
    severityText: nameStr(l.severityText, 'severityText', ctx),
    body: anyValue(l.body, 'body', ctx),
    attributes: attributes.attributes,
    droppedAttributesCount: uint(l.droppedAttributesCount, 'droppedAttributesCount') + attributes.dropped,
    flags: uint(l.flags, 'flags'),
    traceId: id(l.traceId, 16, 'traceId', true),
    spanId: id(l.spanId, 8, 'spanId', true),
    eventName: nameStr(l.eventName, 'eventName', ctx),
    resource,
    scope,
  };
}

function severity(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 24) return v;
  if (typeof v === 'string') {
    const m = /^SEVERITY_NUMBER_([A-Z]+)(\d?)$/.exec(v);
    const base: Record<string, number> = { UNSPECIFIED: 0, TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };
    if (m && m[1]! in base) return base[m[1]!]! + (m[2] ? Number(m[2]) - 1 : 0);
  }
  throw new FieldError(`severityNumber has an unknown value ${shown(v)}`);
}

/** Protobuf logs go through protobufjs's decoder, whose recursion limit (100) rejects deeper bodies. */
export function decodeLogs(body: Uint8Array, encoding: Encoding, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedBatch<LogRecord> {
  const req = parseBody(body, encoding, ExportLogsServiceRequest);
  const batch: DecodedBatch<LogRecord> = { items: [], rejected: 0, rejectReasons: [] };
  const ctx = cutting(limits);
  for (const rlRaw of structure(() => listOf(req.resourceLogs, 'resourceLogs'))) {
    const rl = structure(() => obj(rlRaw, 'resourceLogs[]'));
    ctx.cut = 0;
    const resource = structure(() => resourceOf(rl, ctx));
    const resourceCut = ctx.cut;
    for (const slRaw of structure(() => listOf(rl.scopeLogs, 'scopeLogs'))) {
      const sl = structure(() => obj(slRaw, 'scopeLogs[]'));
      ctx.cut = resourceCut;
      const scope = structure(() => scopeOf(sl, ctx));
      const contextCut = ctx.cut;
      for (const lRaw of structure(() => listOf(sl.logRecords, 'logRecords'))) {
        ctx.cut = contextCut;
        try {
          spend(ctx, 'log record');
          batch.items.push(logOf(obj(lRaw, 'logRecord'), resource, scope, ctx));
          if (ctx.cut) countTruncated(batch, ctx.cut);
        } catch (err) {
          reject(batch, err, 'log record rejected');
        }
      }
    }
  }
  return batch;
}
