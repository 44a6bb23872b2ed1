/**
 * Seeded randomness, real OTLP request bodies to start from (the instrumentation fixtures and SDK
 * output, as OTLP/JSON and as protobuf), and the byte-level mutations the fuzz test applies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord, Span } from '../../src/core/model.js';
import { decodeLogs, decodeTraces } from '../../src/core/otlp/decode.js';
import { logsRequestJson, tracesRequestJson } from '../../src/core/otlp/encodeJson.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/core/otlp/limits.js';
import { ExportLogsServiceRequest, ExportTraceServiceRequest } from '../../src/core/otlp/schema.js';
import { FIXTURES, fixtureNames } from './fixtures.js';
import { mutateJson } from './fuzzJson.js';
import { jsonBody, protobufBody, sdkSpans } from './payloads.js';

/** mulberry32: small, fast, and the same sequence on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** A case's own generator, so that one case can be re-run alone from the seed and its number. */
export const caseRng = (seed: number, index: number): Rng => new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));

export type Signal = 'traces' | 'logs';
export type Encoding = 'protobuf' | 'json';

export interface Seed {
  name: string;
  signal: Signal;
  encoding: Encoding;
  body: Buffer;
  /** Protobuf only: offsets of the length prefixes of length-delimited fields (for length corruption). */
  lengths: number[];
}

/** OTLP/JSON made by encodeJson to protobuf: ids as bytes, the rest as protobufjs's fromObject takes it. */
function toProtoObject(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => toProtoObject(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toProtoObject(x, k)]));
  if (typeof v === 'string' && /^(traceId|spanId|parentSpanId)$/.test(key)) return Buffer.from(v, 'hex');
  return v;
}

export function tracesProtobuf(spans: Span[]): Buffer {
  const message = ExportTraceServiceRequest.fromObject(toProtoObject(tracesRequestJson(spans)) as Record<string, unknown>);
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

export function logsProtobuf(logs: LogRecord[]): Buffer {
  const message = ExportLogsServiceRequest.fromObject(toProtoObject(logsRequestJson(logs)) as Record<string, unknown>);
  return Buffer.from(ExportLogsServiceRequest.encode(message).finish());
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= buf.length) return [0, -1];
    const b = buf[pos++]!;
    value += (b & 127) * 2 ** shift;
    if (b < 128) return [value, pos];
  }
  return [0, -1];
}

export function writeVarint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Length prefixes found by reading the body as nested messages wherever that parses. */
export function lengthOffsets(buf: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    let pos = start;
    while (pos < end) {
      const [tag, p1] = readVarint(buf, pos);
      if (p1 < 0 || tag >>> 3 === 0) return false;
      const wire = tag & 7;
      if (wire === 0) {
        const [, p2] = readVarint(buf, p1);
        if (p2 < 0) return false;
        pos = p2;
      } else if (wire === 1) pos = p1 + 8;
      else if (wire === 5) pos = p1 + 4;
      else if (wire === 2) {
        const [len, p2] = readVarint(buf, p1);
        if (p2 < 0 || p2 + len > end) return false;
        out.push(p1);
        if (depth < 40) walk(p2, p2 + len, depth + 1);
        pos = p2 + len;
      } else return false;
    }
    return pos === end;
  };
  walk(0, buf.length, 0);
  return [...new Set(out)];
}

/** Every fixture and some SDK output, each as OTLP/JSON and as protobuf. */
export function corpus(): Seed[] {
  const seeds: Seed[] = [];
  const add = (name: string, signal: Signal, encoding: Encoding, body: Buffer): void => {
    seeds.push({ name, signal, encoding, body, lengths: encoding === 'protobuf' ? lengthOffsets(body) : [] });
  };
  for (const { dialect, scenario } of fixtureNames()) {
    const json = readFileSync(join(FIXTURES, dialect, `${scenario}.otlp.json`));
    add(`${dialect}/${scenario}`, 'traces', 'json', json);
    add(`${dialect}/${scenario}`, 'traces', 'protobuf', tracesProtobuf(decodeTraces(json, 'json').items));
    let logs: Buffer | undefined;
    try {
      logs = readFileSync(join(FIXTURES, dialect, `${scenario}.logs.otlp.json`));
    } catch {
      continue;
    }
    add(`${dialect}/${scenario}.logs`, 'logs', 'json', logs);
    add(`${dialect}/${scenario}.logs`, 'logs', 'protobuf', logsProtobuf(decodeLogs(logs, 'json').items));
  }
  for (const n of [1, 12]) {
    const spans = sdkSpans(n, `sdk${n}`);
    add(`sdk-${n}`, 'traces', 'protobuf', protobufBody(spans));
    add(`sdk-${n}`, 'traces', 'json', jsonBody(spans));
  }
  return seeds;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a, 0x0b, 0x0c, 0x0f];
const HUGE_LENGTHS = [0, 1, 127, 128, 0x3fff, 0x7fffffff, 0xffffffff, 2 ** 28];

/** One byte-level mutation of `body`; `other` is a second seed for splicing. Returns its name. */
export function mutateBytes(rng: Rng, seed: Seed, body: Buffer, other: Seed): [string, Buffer] {
  const at = (): number => rng.int(body.length + 1);
  switch (rng.int(9)) {
    case 0: {
      const out = Buffer.from(body);
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && out.length; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return ['bit flips', out];
    }
    case 1: {
      const p = at();
      const insert = rng.chance(0.5) ? rng.bytes(1 + rng.int(16)) : Buffer.from([rng.pick(INTERESTING)]);
      return ['insert', Buffer.concat([body.subarray(0, p), insert, body.subarray(p)])];
    }
    case 2: {
      const p = at();
      return ['delete', Buffer.concat([body.subarray(0, p), body.subarray(Math.min(body.length, p + 1 + rng.int(32)))])];
    }
    case 3:
      return ['truncate', body.subarray(0, at())];
    case 4: {
      if (!seed.lengths.length || body !== seed.body) return ['overwrite', overwrite(rng, body)];
      const p = rng.pick(seed.lengths);
      const [len, end] = readVarint(body, p);
      const next = rng.chance(0.5) ? Math.max(0, len + rng.int(5) - 2) : rng.pick(HUGE_LENGTHS);
      return ['length field', Buffer.concat([body.subarray(0, p), writeVarint(next), body.subarray(end)])];
    }
    case 5: {
      const b = other.body;
      return ['splice', Buffer.concat([body.subarray(0, at()), b.subarray(rng.int(b.length + 1))])];
    }
    case 6: {
      // A stretch repeated many times: huge repeated fields when it is a whole field.
      const p = at();
      const chunk = body.subarray(p, p + 1 + rng.int(64));
      const times = 1 + rng.int(rng.chance(0.03) ? 5000 : 50);
      return ['repeat', Buffer.concat([body.subarray(0, p), ...Array<Buffer>(times).fill(chunk), body.subarray(p)])];
    }
    case 7:
      return ['overwrite', overwrite(rng, body)];
    default: {
      // A deep run of nested length-delimited fields (AnyValue.arrayValue / ArrayValue.values tags).
      const depth = 1 + rng.int(3000);
      const p = at();
      const open = Buffer.alloc(depth * 2);
      for (let i = 0; i < depth; i++) open.set([i % 2 ? 0x0a : 0x2a, 0x00], i * 2);
      return ['nesting', Buffer.concat([body.subarray(0, p), open, body.subarray(p)])];
    }
  }
}

function overwrite(rng: Rng, body: Buffer): Buffer {
  const out = Buffer.from(body);
  const p = rng.int(out.length + 1);
  rng.bytes(1 + rng.int(8)).copy(out, p);
  return out;
}

/** Limits small enough that mutated real bodies cross them often. */
export function smallLimits(rng: Rng): DecodeLimits {
  return {
    maxAttributes: 1 + rng.int(12),
    maxValueBytes: 1 + rng.int(200),
    maxArrayValues: 1 + rng.int(6),
    maxValueDepth: 1 + rng.int(4),
    maxEvents: 1 + rng.int(4),
    maxLinks: 1 + rng.int(3),
    maxRequestItems: rng.chance(0.5) ? 1 + rng.int(100) : DEFAULT_DECODE_LIMITS.maxRequestItems,
    maxNameBytes: 1 + rng.int(64),
  };
}

/** One case: a seed, its mutations (named, for the failure message), the encoding to decode it as, and the limits. */
export function makeCase(rng: Rng, seeds: Seed[]): { seed: Seed; encoding: Encoding; body: Buffer; how: string; limits: DecodeLimits } {
  const seed = rng.pick(seeds);
  const limits = rng.chance(0.3) ? smallLimits(rng) : DEFAULT_DECODE_LIMITS;
  let body = seed.body;
  const how: string[] = [seed.name, seed.encoding];
  if (seed.encoding === 'json' && rng.chance(0.7)) {
    const [name, out] = mutateJson(rng, seed.body.toString());
    how.push(name);
    body = out;
  }
  // Mostly one mutation: more of the bodies get past the first check and into the deeper code.
  const steps = seed.encoding === 'json' && how.length > 2 ? (rng.chance(0.15) ? 1 : 0) : rng.pick([1, 1, 1, 2, 2, 3]);
  for (let i = 0; i < steps; i++) {
    const [name, out] = mutateBytes(rng, seed, body, rng.pick(seeds));
    how.push(name);
    body = out;
  }
  // Now and then the wrong decoder for the bytes: a JSON body read as protobuf, and back.
  let encoding = seed.encoding;
  if (rng.chance(0.03)) encoding = encoding === 'json' ? 'protobuf' : 'json';
  return { seed, encoding, body, how: how.join(' / '), limits };
}
