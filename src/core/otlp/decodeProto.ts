/**
 * OTLP protobuf trace requests straight to the internal form, reading the wire with protobufjs's
 * Reader and the field numbers of our schema (schema.ts). It builds no intermediate message
 * objects, which makes it about twice as fast as decoding to protobufjs messages first; the
 * receiver's ingest rate depends on it. Same outcome as the generic path: a span with a bad field
 * is rejected alone, a body that is not a request throws.
 */
import protobuf from 'protobufjs/light.js';
import type { Attributes, AttrValue, DecodedBatch, Resource, Scope, Span, SpanEvent, SpanKindNumber, SpanLink, StatusCode } from '../model.js';
import { fieldIds } from './schema.js';
import { FieldError, int64, unsignedDecimal } from './values.js';

const REQ = fieldIds('ExportTraceServiceRequest');
const RS = fieldIds('ResourceSpans');
const RES = fieldIds('Resource');
const SS = fieldIds('ScopeSpans');
const SC = fieldIds('InstrumentationScope');
const SP = fieldIds('Span');
const EV = fieldIds('Event');
const LK = fieldIds('Link');
const ST = fieldIds('Status');
const KV = fieldIds('KeyValue');
const AV = fieldIds('AnyValue');
const LIST = fieldIds('ArrayValue');

const STATUS: StatusCode[] = ['unset', 'ok', 'error'];
const MAX_DEPTH = 32;

type Reader = protobuf.Reader & { buf: Buffer };

/** The wire type a field must have: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
function expect(tag: number, wire: number): void {
  if ((tag & 7) !== wire) throw new Error(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wire}`);
}

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

function readAnyValue(r: Reader, end: number, depth: number): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case AV.stringValue:
        expect(tag, 2);
        value = r.stringVerify();
        break;
      case AV.boolValue:
        expect(tag, 0);
        value = r.bool();
        break;
      case AV.intValue:
        expect(tag, 0);
        value = int64(r.int64(), 'intValue');
        break;
      case AV.doubleValue:
        expect(tag, 1);
        value = r.double();
        break;
      case AV.arrayValue:
      case AV.kvlistValue: {
        expect(tag, 2);
        const len = r.uint32();
        const innerEnd = r.pos + len;
        if (depth >= MAX_DEPTH) {
          r.skip(len);
          value = '[truncated: nested too deep]';
        } else value = (tag >>> 3) === AV.arrayValue ? readArray(r, innerEnd, depth + 1) : readKeyValues(r, innerEnd, depth + 1);
        break;
      }
      case AV.bytesValue: {
        expect(tag, 2);
        const len = r.uint32();
        value = r.buf.toString('base64', r.pos, r.pos + len);
        r.skip(len);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  return value;
}

function readArray(r: Reader, end: number, depth: number): AttrValue[] {
  const out: AttrValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === LIST.values) {
      expect(tag, 2);
      const len = r.uint32();
      out.push(readAnyValue(r, r.pos + len, depth));
    } else r.skipType(tag & 7);
  }
  return out;
}

/** A repeated KeyValue field's body (KeyValueList.values); also used for attribute lists entry by entry. */
function readKeyValues(r: Reader, end: number, depth: number, into: Attributes = {}): Attributes {
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === LIST.values) {
      expect(tag, 2);
      const len = r.uint32();
      readKeyValue(r, r.pos + len, depth, into);
    } else r.skipType(tag & 7);
  }
  return into;
}

function readKeyValue(r: Reader, end: number, depth: number, into: Attributes): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === KV.key) {
      expect(tag, 2);
      key = r.stringVerify();
    } else if (tag >>> 3 === KV.value) {
      expect(tag, 2);
      const len = r.uint32();
      value = readAnyValue(r, r.pos + len, depth);
    } else r.skipType(tag & 7);
  }
  into[key] = value;
}

/** Reads one length-delimited KeyValue of a repeated attributes field into `into`. */
function readAttribute(r: Reader, into: Attributes): void {
  const len = r.uint32();
  readKeyValue(r, r.pos + len, 0, into);
}

function readResource(r: Reader, end: number, schemaUrl: string): Resource {
  const resource: Resource = { attributes: {}, droppedAttributesCount: 0, schemaUrl };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case RES.attributes:
        expect(tag, 2);
        readAttribute(r, resource.attributes);
        break;
      case RES.droppedAttributesCount:
        expect(tag, 0);
        resource.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return resource;
}

function readScope(r: Reader, end: number, schemaUrl: string): Scope {
  const scope: Scope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case SC.name:
        expect(tag, 2);
        scope.name = r.stringVerify();
        break;
      case SC.version:
        expect(tag, 2);
        scope.version = r.stringVerify();
        break;
      case SC.attributes:
        expect(tag, 2);
        readAttribute(r, scope.attributes);
        break;
      case SC.droppedAttributesCount:
        expect(tag, 0);
        scope.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return scope;
}

function readEvent(r: Reader, end: number): SpanEvent {
  const e: SpanEvent = { timeUnixNano: '0', name: '', attributes: {}, droppedAttributesCount: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case EV.timeUnixNano:
        expect(tag, 1);
        e.timeUnixNano = fixed64Nanos(r);
        break;
      case EV.name:
        expect(tag, 2);
        e.name = r.stringVerify();
        break;
      case EV.attributes:
        expect(tag, 2);
        readAttribute(r, e.attributes);
        break;
      case EV.droppedAttributesCount:
        expect(tag, 0);
        e.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return e;
}

/** Reads a link; an id error is thrown after the link's bytes are consumed. */
function readLink(r: Reader, end: number): SpanLink {
  const l: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 };
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
        l.traceState = r.stringVerify();
        break;
      case LK.attributes:
        expect(tag, 2);
        readAttribute(r, l.attributes);
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
  if (error) throw error;
  if (!sawTrace) throw new FieldError('link.traceId is missing');
  if (!sawSpan) throw new FieldError('link.spanId is missing');
  return l;
}

function readStatus(r: Reader, end: number): { code: StatusCode; message: string } {
  const status: { code: StatusCode; message: string } = { code: 'unset', message: '' };
  let error: FieldError | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case ST.message:
        expect(tag, 2);
        status.message = r.stringVerify();
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
  if (error) throw error;
  return status;
}

/** Reads one span; a bad field is thrown as FieldError only once the whole span has been read. */
function readSpan(r: Reader, end: number, resource: Resource, scope: Scope): Span {
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
        s.traceState = r.stringVerify();
        break;
      case SP.flags:
        expect(tag, 5);
        s.flags = r.fixed32() >>> 0;
        break;
      case SP.name:
        expect(tag, 2);
        s.name = r.stringVerify();
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
        readAttribute(r, s.attributes);
        break;
      case SP.droppedAttributesCount:
        expect(tag, 0);
        s.droppedAttributesCount = r.uint32();
        break;
      case SP.events: {
        expect(tag, 2);
        const len = r.uint32();
        s.events.push(readEvent(r, r.pos + len));
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
        const link = guard(() => readLink(r, linkEnd), undefined);
        r.pos = linkEnd;
        if (link) s.links.push(link);
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
        s.status = guard(() => readStatus(r, statusEnd), s.status);
        r.pos = statusEnd;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
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
export function decodeTraceRequest(body: Uint8Array): DecodedBatch<Span> {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const r = protobuf.Reader.create(buf) as Reader;
  const batch: DecodedBatch<Span> = { items: [], rejected: 0, rejectReasons: [] };
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
    while (r.pos < rsEnd) {
      const t = r.uint32();
      if (t >>> 3 === RS.schemaUrl && (t & 7) === 2) schemaUrl = r.stringVerify();
      else r.skipType(t & 7);
    }
    r.pos = rsStart;
    let resource: Resource = { attributes: {}, droppedAttributesCount: 0, schemaUrl };
    const scopeStarts: number[] = [];
    while (r.pos < rsEnd) {
      const t = r.uint32();
      if (t >>> 3 === RS.resource) {
        expect(t, 2);
        const len = r.uint32();
        resource = readResource(r, r.pos + len, schemaUrl);
      } else if (t >>> 3 === RS.scopeSpans) {
        expect(t, 2);
        scopeStarts.push(r.pos);
        r.skip(r.uint32());
      } else r.skipType(t & 7);
    }
    for (const start of scopeStarts) {
      r.pos = start;
      const ssEnd = r.uint32() + r.pos;
      readScopeSpans(r, ssEnd, resource, batch);
    }
    r.pos = rsEnd;
  }
  return batch;
}

function readScopeSpans(r: Reader, end: number, resource: Resource, batch: DecodedBatch<Span>): void {
  let schemaUrl = '';
  let scopeRange: [number, number] | undefined;
  const spans: [number, number][] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case SS.scope: {
        expect(tag, 2);
        const len = r.uint32();
        scopeRange = [r.pos, r.pos + len];
        r.skip(len);
        break;
      }
      case SS.spans: {
        expect(tag, 2);
        const len = r.uint32();
        spans.push([r.pos, r.pos + len]);
        r.skip(len);
        break;
      }
      case SS.schemaUrl:
        expect(tag, 2);
        schemaUrl = r.stringVerify();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  let scope: Scope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl };
  if (scopeRange) {
    r.pos = scopeRange[0];
    scope = readScope(r, scopeRange[1], schemaUrl);
  }
  for (const [spanStart, spanEnd] of spans) {
    r.pos = spanStart;
    try {
      batch.items.push(readSpan(r, spanEnd, resource, scope));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      reject(batch, err);
    }
  }
  r.pos = end;
}
