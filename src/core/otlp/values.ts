/**
 * Field converters shared by the protobuf and JSON paths. Protobuf gives Long and Uint8Array,
 * OTLP/JSON gives decimal strings or numbers and hex strings; both end as the internal form.
 * A converter throws FieldError for a value it cannot accept; the caller decides whether that
 * rejects one span or the whole request.
 */
import type { Attributes, AttrValue } from '../model.js';
import { type Count, Cut, type Cutting, KVLIST_MARKER_KEY, arrayMarker, depthMarker, fits, kvlistMarker, limitBytes, limitString, scratch } from './limits.js';

export class FieldError extends Error {}

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const isLong = (v: unknown): v is LongLike =>
  typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';

const TWO_32 = 4294967296;

/** An unsigned 64-bit value given as its two 32-bit halves, as an exact decimal string. */
export function unsignedDecimal(high: number, low: number): string {
  const h = high >>> 0;
  const l = low >>> 0;
  // Below 2^53 a double holds the value exactly; only the rare larger value needs BigInt.
  if (h < 0x200000) return String(h * TWO_32 + l);
  return ((BigInt(h) << 32n) | BigInt(l)).toString();
}

/** An unsigned 64-bit nanosecond time as a decimal string, exact. */
export function nanos(v: unknown, field: string): string {
  if (v === undefined || v === null) return '0';
  if (isLong(v)) return unsignedDecimal(v.high, v.low);
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) throw new FieldError(`${field} must be a non-negative integer, got ${shown(v)}`);
    return v.replace(/^0+(?=\d)/, '');
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v)).toString();
  throw new FieldError(`${field} must be a non-negative integer`);
}

/** A signed int64 as a number when it is safe, else as its decimal string. */
export function int64(v: unknown, field: string): number | string {
  if (isLong(v)) {
    const big = v.unsigned
      ? (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0)
      : (BigInt(v.high | 0) << 32n) | BigInt(v.low >>> 0);
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big.toString();
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : BigInt(v).toString();
  }
  throw new FieldError(`${field} must be an integer`);
}

/**
 * A received value for an error message: short, and safe for any value (JSON.stringify of a
 * hostile one overflows the stack or makes the partial-success message megabytes long).
 */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
}

export function uint(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,10}$/.test(v)) return Number(v);
  throw new FieldError(`${field} must be a non-negative integer`);
}

export function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  throw new FieldError(`${field} must be a string`);
}

/** A string cut to `max` UTF-8 bytes and marked as a long value is; `flag` says which limit cut it. */
export function strCut(v: unknown, field: string, max: number, flag: number, ctx: Cutting): string {
  const s = str(v, field);
  // Only a string long enough to be over the limit is measured.
  if (s.length <= max / 3) return s;
  const out = limitString(s, max);
  if (out.cut) ctx.cut |= flag;
  return out.value;
}

/** A name, version, trace state, schema URL… cut to maxNameBytes. */
export const nameStr = (v: unknown, field: string, ctx: Cutting): string => strCut(v, field, ctx.limits.maxNameBytes, Cut.name, ctx);

const HEX = /^[0-9a-fA-F]*$/;

/**
 * An id as lowercase hex of exactly `bytes` bytes. `optional` accepts empty (a root's parent).
 * OTLP/JSON carries ids as hex; base64 (the generic protobuf JSON mapping) is accepted when it
 * decodes to the right length, as the Collector does.
 */
export function id(v: unknown, bytes: number, field: string, optional = false): string {
  if (v === undefined || v === null || (v as { length?: number }).length === 0) {
    if (optional) return '';
    throw new FieldError(`${field} is missing`);
  }
  let hex: string;
  if (v instanceof Uint8Array) {
    if (v.length !== bytes) throw new FieldError(`${field} must be ${bytes} bytes, got ${v.length}`);
    hex = Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  } else if (typeof v === 'string') {
    if (v.length === bytes * 2 && HEX.test(v)) hex = v.toLowerCase();
    else {
      const raw = Buffer.from(v, 'base64');
      if (raw.length !== bytes || raw.toString('base64').replace(/=+$/, '') !== v.replace(/=+$/, '')) {
        throw new FieldError(`${field} must be ${bytes * 2} hex digits, got ${shown(v)}`);
      }
      hex = raw.toString('hex');
    }
  } else {
    throw new FieldError(`${field} must be a hex string`);
  }
  if (/^0+$/.test(hex)) {
    if (optional) return '';
    throw new FieldError(`${field} must not be all zeros`);
  }
  return hex;
}

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * `into[key] = value`, except that the key `__proto__` becomes an own property as JSON.parse
 * makes it: assigning it would replace the object's prototype (or be ignored), losing the value.
 */
export function setAttribute(into: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}


/** Bytes given as Uint8Array (protobufjs) or base64 text (OTLP/JSON), as base64 cut to the limit. */
function bytesValue(b: unknown, field: string, ctx: Cutting): string {
  const max = ctx.limits.maxValueBytes;
  let raw: Uint8Array;
  if (b instanceof Uint8Array) raw = b;
  else if (typeof b === 'string') {
    // Base64 holds 3 bytes per 4 characters: only a long one needs decoding to be measured.
    if (b.length <= (max / 3) * 4) return b;
    raw = Buffer.from(b, 'base64');
  } else throw new FieldError(`${field} bytesValue must be bytes`);
  const out = limitBytes(raw, 0, raw.length, max);
  if (out.cut) ctx.cut |= Cut.value;
  return out.value;
}

/** `depth` counts the arrays and key/value lists around `v`; one more than the limit is cut. */
export function anyValue(v: unknown, field: string, ctx: Cutting, depth = 0): AttrValue {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object') throw new FieldError(`${field} must be an AnyValue object`);
  const o = v as Record<string, unknown>;
  if (hasOwn(o, 'stringValue')) return strCut(o.stringValue, field, ctx.limits.maxValueBytes, Cut.value, ctx);
  if (hasOwn(o, 'boolValue')) {
    if (typeof o.boolValue !== 'boolean') throw new FieldError(`${field} boolValue must be a boolean`);
    return o.boolValue;
  }
  if (hasOwn(o, 'intValue')) return int64(o.intValue, field);
  if (hasOwn(o, 'doubleValue')) {
    const d = o.doubleValue;
    if (typeof d === 'number') return d;
    if (typeof d === 'string' && /^(NaN|-?Infinity|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(d)) return Number(d);
    throw new FieldError(`${field} doubleValue must be a number`);
  }
  const isArray = hasOwn(o, 'arrayValue');
  if (isArray || hasOwn(o, 'kvlistValue')) {
    const inner = (isArray ? o.arrayValue : o.kvlistValue) as { values?: unknown } | null;
    if (depth >= ctx.limits.maxValueDepth) {
      ctx.cut |= Cut.depth;
      return depthMarker(ctx.limits);
    }
    if (!isArray) return keyValues(inner?.values, field, ctx, depth + 1).attributes;
    const values = listOf(inner?.values, field);
    const c: Count = { seen: 0, kept: 0 };
    const out: AttrValue[] = [];
    values.forEach((x, i) => {
      if (fits(c, ctx.limits.maxArrayValues, Cut.array, ctx)) out.push(anyValue(x, `${field}[${i}]`, ctx, depth + 1));
      else anyValue(x, `${field}[${i}]`, scratch(ctx), depth + 1);
    });
    if (c.seen > c.kept) out.push(arrayMarker(c.seen - c.kept));
    return out;
  }
  if (hasOwn(o, 'bytesValue')) return bytesValue(o.bytesValue, field, ctx);
  return null;
}

/**
 * A KeyValue list: the first maxAttributes entries, and how many more there were (for an
 * attribute list's droppedAttributesCount). Inside a value (`depth` > 0) a marker entry says so.
 * A key past maxNameBytes is cut; when the cut text is already a key the entry is dropped (its
 * value still read, as the protobuf decoder reads it before it knows) and counted as dropped.
 */
export function keyValues(list: unknown, field: string, ctx: Cutting, depth = 0): { attributes: Attributes; dropped: number } {
  const attributes: Attributes = {};
  const all = listOf(list, field);
  const c: Count = { seen: 0, kept: 0 };
  for (let i = 0; i < all.length; i++) {
    const kv = all[i];
    if (typeof kv !== 'object' || kv === null) throw new FieldError(`${field} must hold key/value objects`);
    const { key, value } = kv as { key?: unknown; value?: unknown };
    const whole = str(key, `${field} key`);
    // The key names the field in an error message: a hostile key must not make it huge.
    const where = `${field}.${whole.length > 40 ? `${whole.slice(0, 40)}…` : whole}`;
    if (!fits(c, ctx.limits.maxAttributes, Cut.attributes, ctx)) {
      anyValue(value, where, scratch(ctx), depth);
      continue;
    }
    const v = anyValue(value, where, ctx, depth);
    const k = nameStr(whole, `${field} key`, ctx);
    if (k !== whole && hasOwn(attributes, k)) {
      c.kept--;
      continue;
    }
    setAttribute(attributes, k, v);
  }
  const dropped = c.seen - c.kept;
  if (dropped && depth > 0) setAttribute(attributes, KVLIST_MARKER_KEY, kvlistMarker(dropped));
  return { attributes, dropped };
}

export function listOf(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw new FieldError(`${field} must be an array`);
}
