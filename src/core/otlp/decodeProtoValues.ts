/**
 * Attribute values (AnyValue, ArrayValue, KeyValueList, KeyValue) off the protobuf wire for the
 * streaming decoder (decodeProto.ts), with the decode limits applied as they are read: a long
 * string is read only up to its cut (its whole length still checked as UTF-8), nesting past the
 * depth limit is skipped without recursing, and entries past a limit are read and dropped. Names
 * and keys are cut the same way (readName).
 */
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/light.js';
import type { Attributes, AttrValue } from '../model.js';
import * as limits from './limits.js';
import { type Count, type Cutting, KVLIST_MARKER_KEY, arrayMarker, depthMarker, kvlistMarker, limitBytes, scratch, utf8Boundary, valueMarker } from './limits.js';
import { fieldIds } from './schema.js';
import * as values from './values.js';

// Module-local bindings for what the loops call per value (see decodeProto.ts).
const { Cut, fits } = limits;
const { hasOwn, int64, setAttribute } = values;

const KV = fieldIds('KeyValue');
const AV = fieldIds('AnyValue');
const LIST = fieldIds('ArrayValue');
const { readStrict } = protobuf.util.utf8;

export type Reader = protobuf.Reader & { buf: Buffer };
type Ctx = Cutting;

/** Called as each message's loop ends: a field ran past the message's end. */
export function ended(r: Reader, end: number): void {
  if (r.pos !== end) throw new Error(`a field runs ${r.pos - end} bytes past the end of its message`);
}

/** The wire type a field must have: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
export function expect(tag: number, wire: number): void {
  if ((tag & 7) !== wire) throw new Error(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wire}`);
}

/** The `len` bytes at `start`, checked as UTF-8 whole, as their first `max` bytes and the marker. */
function cutString(r: Reader, start: number, len: number, max: number): string {
  if (!isUtf8(r.buf.subarray(start, start + len))) throw new Error('a string is not valid UTF-8');
  const cutEnd = utf8Boundary(r.buf, start, max);
  return readStrict(r.buf, start, cutEnd) + valueMarker(cutEnd - start, len);
}

/** A string value, its first maxValueBytes with the marker when longer. */
function readValueString(r: Reader, ctx: Ctx): string {
  const at = r.pos;
  const len = r.uint32();
  if (len <= ctx.limits.maxValueBytes) {
    // protobufjs's own reader for the usual case: one call site keeps it inlined and fast.
    r.pos = at;
    return r.stringVerify();
  }
  const start = r.pos;
  r.skip(len);
  ctx.cut |= Cut.value;
  return cutString(r, start, len, ctx.limits.maxValueBytes);
}

/** A string field cut to `max` bytes; a cut sets `flag` (names: readName; a status message: maxValueBytes). */
export function readCut(r: Reader, max: number, flag: number, ctx: Ctx): string {
  const len = r.uint32();
  const start = r.pos;
  r.skip(len);
  if (len <= max) return readStrict(r.buf, start, start + len);
  ctx.cut |= flag;
  return cutString(r, start, len, max);
}

/** A name, version, trace state, schema URL… cut to maxNameBytes. */
export function readName(r: Reader, ctx: Ctx): string {
  return readCut(r, ctx.limits.maxNameBytes, Cut.name, ctx);
}

function readAnyValue(r: Reader, end: number, depth: number, ctx: Ctx): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case AV.stringValue:
        expect(tag, 2);
        value = readValueString(r, ctx);
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
        if (depth >= ctx.limits.maxValueDepth) {
          r.skip(len);
          ctx.cut |= Cut.depth;
          value = depthMarker(ctx.limits);
        } else value = (tag >>> 3) === AV.arrayValue ? readArray(r, innerEnd, depth + 1, ctx) : readKeyValues(r, innerEnd, depth + 1, ctx);
        break;
      }
      case AV.bytesValue: {
        expect(tag, 2);
        const len = r.uint32();
        const start = r.pos;
        r.skip(len);
        const bytes = limitBytes(r.buf, start, len, ctx.limits.maxValueBytes);
        if (bytes.cut) ctx.cut |= Cut.value;
        value = bytes.value;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  ended(r, end);
  return value;
}

function readArray(r: Reader, end: number, depth: number, ctx: Ctx): AttrValue[] {
  const out: AttrValue[] = [];
  const c: Count = { seen: 0, kept: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === LIST.values) {
      expect(tag, 2);
      const len = r.uint32();
      if (fits(c, ctx.limits.maxArrayValues, Cut.array, ctx)) out.push(readAnyValue(r, r.pos + len, depth, ctx));
      else readAnyValue(r, r.pos + len, depth, scratch(ctx));
    } else r.skipType(tag & 7);
  }
  ended(r, end);
  if (c.seen > c.kept) out.push(arrayMarker(c.seen - c.kept));
  return out;
}

/** A KeyValueList value's entries; past maxAttributes they are skipped and counted in a marker entry. */
function readKeyValues(r: Reader, end: number, depth: number, ctx: Ctx): Attributes {
  const into: Attributes = {};
  const c: Count = { seen: 0, kept: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === LIST.values) {
      expect(tag, 2);
      readAttribute(r, into, c, depth, ctx);
    } else r.skipType(tag & 7);
  }
  ended(r, end);
  if (c.seen > c.kept) setAttribute(into, KVLIST_MARKER_KEY, kvlistMarker(c.seen - c.kept));
  return into;
}

/**
 * Reads one KeyValue into `into`; false when its key was cut to a key `into` already holds: the
 * first one is kept (as values.ts keyValues does), this one dropped for the caller to count.
 */
export function readKeyValue(r: Reader, end: number, depth: number, into: Attributes, ctx: Ctx): boolean {
  let key = '';
  let keyCut = false;
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === KV.key) {
      expect(tag, 2);
      const at = r.pos;
      const len = r.uint32();
      // Flagged below, for the key that stays when the field comes twice (protobufjs keeps the last).
      keyCut = len > ctx.limits.maxNameBytes;
      if (keyCut) {
        const start = r.pos;
        r.skip(len);
        key = cutString(r, start, len, ctx.limits.maxNameBytes);
      } else {
        // As readValueString: protobufjs's own reader for the usual case.
        r.pos = at;
        key = r.stringVerify();
      }
    } else if (tag >>> 3 === KV.value) {
      expect(tag, 2);
      const len = r.uint32();
      value = readAnyValue(r, r.pos + len, depth, ctx);
    } else r.skipType(tag & 7);
  }
  ended(r, end);
  if (keyCut) {
    ctx.cut |= Cut.name;
    if (hasOwn(into, key)) return false;
  }
  setAttribute(into, key, value);
  return true;
}

/**
 * Reads one length-delimited KeyValue of a repeated field into `into` when it fits (see fits),
 * else reads it and drops it. The first ones on the wire are kept, as SDKs keep the first ones set.
 */
export function readAttribute(r: Reader, into: Attributes, c: Count, depth: number, ctx: Ctx): void {
  const len = r.uint32();
  if (fits(c, ctx.limits.maxAttributes, Cut.attributes, ctx)) {
    if (!readKeyValue(r, r.pos + len, depth, into, ctx)) c.kept--;
  } else readKeyValue(r, r.pos + len, depth, {}, scratch(ctx));
}
