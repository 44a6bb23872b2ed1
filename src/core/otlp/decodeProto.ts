/**
 * OTLP protobuf trace requests straight to the internal form, reading the wire with protobufjs's
 * Reader and the field numbers of our schema (schema.ts). It builds no intermediate message
 * objects, which makes it about twice as fast as decoding to protobufjs messages first; the
 * receiver's ingest rate depends on it. Same outcome as the generic path: a span with a bad field
 * is rejected alone, a body that is not a request throws. A field that runs past the end of its
 * message makes the body malformed (checked as each message ends), so no byte is read twice beyond
 * the two passes by design, whatever the lengths claim. Limits (limits.ts) are applied while
 * reading (values: decodeProtoValues.ts); what is past them is read and dropped.
 */
import protobuf from 'protobufjs/light.js';
import type { DecodedBatch, Resource, Scope, Span, SpanEvent, SpanKindNumber, SpanLink, StatusCode } from '../model.js';
import * as limits from './limits.js';
import { type Count, type Cutting, DEFAULT_DECODE_LIMITS, type DecodeLimits, countTruncated, cutting, scratch, spend } from './limits.js';
import * as values from './decodeProtoValues.js';
import type { Reader } from './decodeProtoValues.js';
import { fieldIds } from './schema.js';
import { FieldError, unsignedDecimal } from './values.js';

// Module-local bindings for what the loops call per field: under tsx (the tests and the bench)
// an imported binding is read through a getter at every use; the bundle is the same either way.
const { Cut, fits } = limits;
const { ended, expect, readAttribute, readCut, readName } = values;

const REQ = fieldIds('ExportTraceServiceRequest');
const RS = fieldIds('ResourceSpans');
const RES = fieldIds('Resource');
const SS = fieldIds('ScopeSpans');
const SC = fieldIds('InstrumentationScope');
const SP = fieldIds('Span');
const EV = fieldIds('Event');
const LK = fieldIds('Link');
const ST = fieldIds('Status');

const STATUS: StatusCode[] = ['unset', 'ok', 'error'];

type Ctx = Cutting;

function fixed64Nanos(r: Reader): string {
  const low = r.fixed32();
  return unsignedDecimal(r.fixed32(), low);
}

/** A length-delimited id as lowercase hex, or a FieldError naming the wrong length. */
function readId(r: Reader, bytes: number, field: string, optional: boolean): string {
  const len = r.uint32();
  const start = r.pos;
  r.skip(len);
  if (len === 0) {
    if (optional) return '';
    throw new FieldError(`${field} is missing`);
  }
  if (len !== bytes) throw new FieldError(`${field} must be ${bytes} bytes, got ${len}`);
  const hex = r.buf.toString('hex', start, start + len);
  if (/^0+$/.test(hex)) {
    if (optional) return '';
    throw new FieldError(`${field} must not be all zeros`);
  }
  return hex;
}

function readResource(r: Reader, end: number, schemaUrl: string, ctx: Ctx): Resource {
  const resource: Resource = { attributes: {}, droppedAttributesCount: 0, schemaUrl };
  const attrs: Count = { seen: 0, kept: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case RES.attributes:
        expect(tag, 2);
        readAttribute(r, resource.attributes, attrs, 0, ctx);
        break;
      case RES.droppedAttributesCount:
        expect(tag, 0);
        resource.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  resource.droppedAttributesCount += attrs.seen - attrs.kept;
  return resource;
}

function readScope(r: Reader, end: number, schemaUrl: string, ctx: Ctx): Scope {
  const scope: Scope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl };
  const attrs: Count = { seen: 0, kept: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case SC.name:
        expect(tag, 2);
        scope.name = readName(r, ctx);
        break;
      case SC.version:
        expect(tag, 2);
        scope.version = readName(r, ctx);
        break;
      case SC.attributes:
        expect(tag, 2);
        readAttribute(r, scope.attributes, attrs, 0, ctx);
        break;
      case SC.droppedAttributesCount:
        expect(tag, 0);
        scope.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  scope.droppedAttributesCount += attrs.seen - attrs.kept;
  return scope;
}

function readEvent(r: Reader, end: number, ctx: Ctx): SpanEvent {
  const e: SpanEvent = { timeUnixNano: '0', name: '', attributes: {}, droppedAttributesCount: 0 };
  const attrs: Count = { seen: 0, kept: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case EV.timeUnixNano:
        expect(tag, 1);
        e.timeUnixNano = fixed64Nanos(r);
        break;
      case EV.name:
        expect(tag, 2);
        e.name = readName(r, ctx);
        break;
      case EV.attributes:
        expect(tag, 2);
        readAttribute(r, e.attributes, attrs, 0, ctx);
        break;
      case EV.droppedAttributesCount:
        expect(tag, 0);
        e.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  e.droppedAttributesCount += attrs.seen - attrs.kept;
  return e;
}

/** Reads a link; an id error is thrown after the link's bytes are consumed. */
function readLink(r: Reader, end: number, ctx: Ctx): SpanLink {
  const l: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 };
  const attrs: Count = { seen: 0, kept: 0 };
  let error: FieldError | undefined;
  const id = (bytes: number, field: string): string => {
    try {
      return readId(r, bytes, field, false);
    } catch (err) {
      error ??= err as FieldError;
      return '';
    }
  };
  let sawTrace = false;
  let sawSpan = false;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case LK.traceId:
        expect(tag, 2);
        l.traceId = id(16, 'link.traceId');
        sawTrace = true;
        break;
      case LK.spanId:
        expect(tag, 2);
        l.spanId = id(8, 'link.spanId');
        sawSpan = true;
        break;
      case LK.traceState:
        expect(tag, 2);
        l.traceState = readName(r, ctx);
        break;
      case LK.attributes:
        expect(tag, 2);
        readAttribute(r, l.attributes, attrs, 0, ctx);
        break;
      case LK.droppedAttributesCount:
        expect(tag, 0);
        l.droppedAttributesCount = r.uint32();
        break;
      case LK.flags:
        expect(tag, 5);
        l.flags = r.fixed32() >>> 0;
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  l.droppedAttributesCount += attrs.seen - attrs.kept;
  if (error) throw error;
  if (!sawTrace) throw new FieldError('link.traceId is missing');
  if (!sawSpan) throw new FieldError('link.spanId is missing');
  return l;
}

function readStatus(r: Reader, end: number, ctx: Ctx): { code: StatusCode; message: string } {
  const status: { code: StatusCode; message: string } = { code: 'unset', message: '' };
  let error: FieldError | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case ST.message:
        expect(tag, 2);
        status.message = readCut(r, ctx.limits.maxValueBytes, Cut.message, ctx);
        break;
      case ST.code: {
        expect(tag, 0);
        const code = r.int32();
        if (STATUS[code]) status.code = STATUS[code]!;
        else error = new FieldError(`status.code has an unknown value ${code}`);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  if (error) throw error;
  return status;
}

/** Reads one span; a bad field is thrown as FieldError only once the whole span has been read. */
function readSpan(r: Reader, end: number, resource: Resource, scope: Scope, ctx: Ctx): Span {
  const s: Span = {
    traceId: '', spanId: '', parentSpanId: '', traceState: '', flags: 0, name: '', kind: 0,
    startTimeUnixNano: '0', endTimeUnixNano: '0', attributes: {}, droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 'unset', message: '' }, resource, scope,
  };
  let error: unknown;
  const guard = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      error ??= err;
      return fallback;
    }
  };
  let sawTrace = false;
  let sawSpan = false;
  const attrs: Count = { seen: 0, kept: 0 };
  const events: Count = { seen: 0, kept: 0 };
  const links: Count = { seen: 0, kept: 0 };
  const { maxEvents, maxLinks } = ctx.limits;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case SP.traceId:
        expect(tag, 2);
        s.traceId = guard(() => readId(r, 16, 'traceId', false), '');
        sawTrace = true;
        break;
      case SP.spanId:
        expect(tag, 2);
        s.spanId = guard(() => readId(r, 8, 'spanId', false), '');
        sawSpan = true;
        break;
      case SP.parentSpanId:
        expect(tag, 2);
        s.parentSpanId = guard(() => readId(r, 8, 'parentSpanId', true), '');
        break;
      case SP.traceState:
        expect(tag, 2);
        s.traceState = readName(r, ctx);
        break;
      case SP.flags:
        expect(tag, 5);
        s.flags = r.fixed32() >>> 0;
        break;
      case SP.name:
        expect(tag, 2);
        s.name = readName(r, ctx);
        break;
      case SP.kind: {
        expect(tag, 0);
        const kind = r.int32();
        if (kind >= 0 && kind <= 5) s.kind = kind as SpanKindNumber;
        else error ??= new FieldError(`kind has an unknown value ${kind}`);
        break;
      }
      case SP.startTimeUnixNano:
        expect(tag, 1);
        s.startTimeUnixNano = fixed64Nanos(r);
        break;
      case SP.endTimeUnixNano:
        expect(tag, 1);
        s.endTimeUnixNano = fixed64Nanos(r);
        break;
      case SP.attributes:
        expect(tag, 2);
        readAttribute(r, s.attributes, attrs, 0, ctx);
        break;
      case SP.droppedAttributesCount:
        expect(tag, 0);
        s.droppedAttributesCount = r.uint32();
        break;
      case SP.events: {
        expect(tag, 2);
        const len = r.uint32();
        if (fits(events, maxEvents, Cut.events, ctx)) s.events.push(readEvent(r, r.pos + len, ctx));
        else readEvent(r, r.pos + len, scratch(ctx));
        break;
      }
      case SP.droppedEventsCount:
        expect(tag, 0);
        s.droppedEventsCount = r.uint32();
        break;
      case SP.links: {
        expect(tag, 2);
        const len = r.uint32();
        const linkEnd = r.pos + len;
        const keep = fits(links, maxLinks, Cut.links, ctx);
        const link = guard(() => readLink(r, linkEnd, keep ? ctx : scratch(ctx)), undefined);
        r.pos = linkEnd;
        if (keep && link) s.links.push(link);
        break;
      }
      case SP.droppedLinksCount:
        expect(tag, 0);
        s.droppedLinksCount = r.uint32();
        break;
      case SP.status: {
        expect(tag, 2);
        const len = r.uint32();
        const statusEnd = r.pos + len;
        s.status = guard(() => readStatus(r, statusEnd, ctx), s.status);
        r.pos = statusEnd;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  s.droppedAttributesCount += attrs.seen - attrs.kept;
  s.droppedEventsCount += events.seen - events.kept;
  s.droppedLinksCount += links.seen - links.kept;
  if (!error && !sawTrace) error = new FieldError('traceId is missing');
  if (!error && !sawSpan) error = new FieldError('spanId is missing');
  if (error) throw error;
  return s;
}

function reject(batch: DecodedBatch<Span>, err: FieldError): void {
  batch.rejected++;
  const reason = `span rejected: ${err.message}`;
  if (batch.rejectReasons.length < 5 && !batch.rejectReasons.includes(reason)) batch.rejectReasons.push(reason);
}

/** Decodes an ExportTraceServiceRequest. Throws (any Error) when the bytes are not one. */
export function decodeTraceRequest(body: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedBatch<Span> {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const r = protobuf.Reader.create(buf) as Reader;
  const batch: DecodedBatch<Span> = { items: [], rejected: 0, rejectReasons: [] };
  const ctx = cutting(limits);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== REQ.resourceSpans) {
      r.skipType(tag & 7);
      continue;
    }
    expect(tag, 2);
    const rsEnd = r.uint32() + r.pos;
    if (rsEnd > r.len) throw new Error('resourceSpans runs past the end of the body');
    // schema_url comes after the resource and scopes on the wire; read it first.
    const rsStart = r.pos;
    let schemaUrl = '';
    ctx.cut = 0;
    while (r.pos < rsEnd) {
      const t = r.uint32();
      if (t >>> 3 === RS.schemaUrl && (t & 7) === 2) schemaUrl = readName(r, ctx);
      else r.skipType(t & 7);
    }
    ended(r, rsEnd);
    r.pos = rsStart;
    const urlCut = ctx.cut;
    let resource: Resource = { attributes: {}, droppedAttributesCount: 0, schemaUrl };
    let resourceCut = urlCut;
    const scopeStarts: number[] = [];
    while (r.pos < rsEnd) {
      const t = r.uint32();
      if (t >>> 3 === RS.resource) {
        expect(t, 2);
        const len = r.uint32();
        // A resource given twice: the last one counts, as protobufjs keeps it.
        ctx.cut = urlCut;
        resource = readResource(r, r.pos + len, schemaUrl, ctx);
        resourceCut = ctx.cut;
      } else if (t >>> 3 === RS.scopeSpans) {
        expect(t, 2);
        scopeStarts.push(r.pos);
        r.skip(r.uint32());
      } else r.skipType(t & 7);
    }
    ended(r, rsEnd);
    for (const start of scopeStarts) {
      r.pos = start;
      const ssEnd = r.uint32() + r.pos;
      readScopeSpans(r, ssEnd, resource, resourceCut, batch, ctx);
    }
    r.pos = rsEnd;
  }
  return batch;
}

function readScopeSpans(r: Reader, end: number, resource: Resource, resourceCut: number, batch: DecodedBatch<Span>, ctx: Ctx): void {
  let schemaUrl = '';
  let scopeStart = -1;
  let scopeEnd = -1;
  // Start and end of each span, flat: a body of empty spans must not cost an array per span.
  const spans: number[] = [];
  ctx.cut = resourceCut;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case SS.scope: {
        expect(tag, 2);
        const len = r.uint32();
        scopeStart = r.pos;
        scopeEnd = r.pos + len;
        r.skip(len);
        break;
      }
      case SS.spans: {
        expect(tag, 2);
        const len = r.uint32();
        spans.push(r.pos, r.pos + len);
        r.skip(len);
        break;
      }
      case SS.schemaUrl:
        expect(tag, 2);
        schemaUrl = readName(r, ctx);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  let scope: Scope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl };
  if (scopeStart >= 0) {
    r.pos = scopeStart;
    scope = readScope(r, scopeEnd, schemaUrl, ctx);
  }
  // A resource or scope cut counts against each of its spans: their context is incomplete.
  const contextCut = ctx.cut;
  for (let i = 0; i < spans.length; i += 2) {
    r.pos = spans[i]!;
    ctx.cut = contextCut;
    try {
      if (ctx.budget <= 0) {
        // Read it all the same: a body must be refused for the same bytes whatever the limits.
        try {
          readSpan(r, spans[i + 1]!, resource, scope, scratch(ctx));
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
        }
      }
      spend(ctx, 'span');
      batch.items.push(readSpan(r, spans[i + 1]!, resource, scope, ctx));
      if (ctx.cut) countTruncated(batch, ctx.cut);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      reject(batch, err);
    }
  }
  r.pos = end;
}
