/**
 * Field converters shared by the protobuf and JSON paths. Protobuf gives Long and Uint8Array,
 * OTLP/JSON gives decimal strings or numbers and hex strings; both end as the internal form.
 * A converter throws FieldError for a value it cannot accept; the caller decides whether that
 * rejects one span or the whole request.
 */
import type { Attributes, AttrValue } from '../model.js';

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
    if (!/^\d{1,20}$/.test(v)) throw new FieldError(`${field} must be a non-negative integer, got ${JSON.stringify(v.slice(0, 40))}`);
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
        throw new FieldError(`${field} must be ${bytes * 2} hex digits, got ${JSON.stringify(v.slice(0, 40))}`);
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

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Nesting deeper than this is cut: a hostile value must not blow the stack. */
const MAX_DEPTH = 32;

export function anyValue(v: unknown, field: string, depth = 0): AttrValue {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object') throw new FieldError(`${field} must be an AnyValue object`);
  if (depth > MAX_DEPTH) return '[truncated: nested too deep]';
  const o = v as Record<string, unknown>;
  if (hasOwn(o, 'stringValue')) return str(o.stringValue, field);
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
  if (hasOwn(o, 'arrayValue')) {
    const values = listOf((o.arrayValue as { values?: unknown } | null)?.values, field);
    return values.map((x, i) => anyValue(x, `${field}[${i}]`, depth + 1));
  }
  if (hasOwn(o, 'kvlistValue')) {
    return keyValues((o.kvlistValue as { values?: unknown } | null)?.values, field, depth + 1);
  }
  if (hasOwn(o, 'bytesValue')) {
    const b = o.bytesValue;
    if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
    if (typeof b === 'string') return b;
    throw new FieldError(`${field} bytesValue must be bytes`);
  }
  return null;
}

export function keyValues(list: unknown, field: string, depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of listOf(list, field)) {
    if (typeof kv !== 'object' || kv === null) throw new FieldError(`${field} must hold key/value objects`);
    const { key, value } = kv as { key?: unknown; value?: unknown };
    const k = str(key, `${field} key`);
    out[k] = anyValue(value, `${field}.${k}`, depth);
  }
  return out;
}

export function listOf(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw new FieldError(`${field} must be an array`);
}
