/**
 * Fuzzing the way in: real OTLP bodies (every fixture and SDK output, as protobuf and as
 * OTLP/JSON), mutated byte by byte and structurally, through the decoders, the normalizer and,
 * for a sample, ingest() into a real SpanStore. Each body must be decoded (and stored) or refused
 * with OtlpDecodeError (the receiver's 400); nothing else may be thrown, no case may take long,
 * and the heap must come back to where it was. Seeded: SPANLENS_FUZZ_SEED and
 * SPANLENS_FUZZ_CASES re-run a failure (its seed and case number are in the message), and
 * SPANLENS_FUZZ_CASE runs one case alone.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AttrValue, Attributes, DecodedBatch, LogRecord, Span } from '../../src/core/model.js';
import { durationMs } from '../../src/core/model.js';
import { normalizeSpan } from '../../src/core/normalize/normalizeSpan.js';
import { OtlpDecodeError, decodeLogs, decodeTraces } from '../../src/core/otlp/decode.js';
import { GrpcCode, exportResponse, statusBody } from '../../src/core/otlp/encode.js';
import type { DecodeLimits } from '../../src/core/otlp/limits.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { ingest } from '../../src/receiver/ingest.js';
import { type Encoding, type Signal, caseRng, corpus, makeCase } from '../helpers/fuzzCorpus.js';
import { gc } from '../helpers/gc.js';

const SEED = Number(process.env.SPANLENS_FUZZ_SEED ?? 20261125);
const CASES = Number(process.env.SPANLENS_FUZZ_CASES ?? 100_000);
const ONLY = process.env.SPANLENS_FUZZ_CASE === undefined ? undefined : Number(process.env.SPANLENS_FUZZ_CASE);
/** Every this-many cases also go through ingest() into the store. */
const INGEST_EVERY = 20;
/**
 * Time a case may take: generous for a shared CI machine and linear in the body (a hang or a
 * quadratic blow-up is far past it; a normal case takes well under 10 ms, storing 500 spans of a
 * 700 KB body in the in-process SpanStore 150–400 ms).
 */
const caseMs = (bytes: number): number => 2000 + bytes / 2000;
const MARKER_BYTES = 64;

/** The limits hold for one attribute value: depth, array and list lengths, string sizes. */
function checkValue(v: AttrValue, limits: DecodeLimits, depth: number, where: string): void {
  if (typeof v === 'string') {
    assert.ok(Buffer.byteLength(v) <= limits.maxValueBytes + MARKER_BYTES || v.length <= limits.maxValueBytes + MARKER_BYTES, `${where}: value of ${v.length} chars`);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  assert.ok(depth < limits.maxValueDepth, `${where}: nested ${depth + 1} deep`);
  if (Array.isArray(v)) {
    assert.ok(v.length <= limits.maxArrayValues + 1, `${where}: array of ${v.length}`);
    for (const x of v) checkValue(x, limits, depth + 1, where);
  } else checkAttributes(v, limits, depth + 1, where);
}

function checkAttributes(a: Attributes, limits: DecodeLimits, depth: number, where: string): void {
  assert.equal(Object.getPrototypeOf(a), Object.prototype, `${where}: attributes lost their prototype`);
  const keys = Object.keys(a);
  assert.ok(keys.length <= limits.maxAttributes + (depth > 0 ? 1 : 0), `${where}: ${keys.length} attributes`);
  for (const k of keys) checkValue(a[k]!, limits, depth, `${where}.${k}`);
}

const count = (n: number, what: string): void => assert.ok(Number.isInteger(n) && n >= 0, `${what} is ${n}`);

function checkSpan(s: Span, limits: DecodeLimits): void {
  assert.match(s.traceId, /^[0-9a-f]{32}$/);
  assert.match(s.spanId, /^[0-9a-f]{16}$/);
  assert.match(s.parentSpanId, /^([0-9a-f]{16})?$/);
  assert.match(s.startTimeUnixNano, /^\d+$/);
  assert.match(s.endTimeUnixNano, /^\d+$/);
  assert.ok(s.events.length <= limits.maxEvents && s.links.length <= limits.maxLinks);
  for (const [n, what] of [[s.droppedAttributesCount, 'droppedAttributesCount'], [s.droppedEventsCount, 'droppedEventsCount'], [s.droppedLinksCount, 'droppedLinksCount']] as const) count(n, what);
  checkAttributes(s.attributes, limits, 0, 'span');
  checkAttributes(s.resource.attributes, limits, 0, 'resource');
  checkAttributes(s.scope.attributes, limits, 0, 'scope');
  for (const e of s.events) checkAttributes(e.attributes, limits, 0, 'event');
  for (const l of s.links) checkAttributes(l.attributes, limits, 0, 'link');
  assert.ok(Number.isFinite(durationMs(s.startTimeUnixNano, s.endTimeUnixNano)));
}

function checkLog(l: LogRecord, limits: DecodeLimits): void {
  assert.match(l.traceId, /^([0-9a-f]{32})?$/);
  assert.match(l.spanId, /^([0-9a-f]{16})?$/);
  checkAttributes(l.attributes, limits, 0, 'log');
  checkValue(l.body, limits, 0, 'log body');
}

interface Tally {
  cases: number;
  decoded: number;
  refused: number;
  spans: number;
  rejected: number;
  truncated: number;
  ingested: number;
  stored: number;
  maxMs: number;
  maxCase: number;
  peakHeap: number;
}

/** Decodes and normalizes one body; returns the batch, or undefined when it was refused (400). */
function decodeCase(signal: Signal, encoding: Encoding, body: Buffer, limits: DecodeLimits, t: Tally, withContent: boolean): DecodedBatch<Span | LogRecord> | undefined {
  let batch: DecodedBatch<Span | LogRecord>;
  try {
    batch = signal === 'traces' ? decodeTraces(body, encoding, limits) : decodeLogs(body, encoding, limits);
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err;
    assert.ok(err.message.length > 0);
    statusBody(encoding, GrpcCode.INVALID_ARGUMENT, err.message);
    t.refused++;
    return undefined;
  }
  t.decoded++;
  t.rejected += batch.rejected;
  t.truncated += batch.truncated ?? 0;
  if (signal === 'traces') {
    for (const span of batch.items as Span[]) {
      checkSpan(span, limits);
      normalizeSpan(span, [], { withContent });
    }
    t.spans += batch.items.length;
  } else {
    const logs = batch.items as LogRecord[];
    for (const log of logs) checkLog(log, limits);
    // The GenAI event readers take a span's log records.
    normalizeSpan(PLAIN_SPAN, logs, { withContent: true });
  }
  JSON.stringify(batch.items);
  return batch;
}

const PLAIN_SPAN: Span = {
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '', traceState: '', flags: 0,
  name: 'chat', kind: 3, startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: { 'gen_ai.system': 'openai' }, droppedAttributesCount: 0,
  events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 'unset', message: '' },
  resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' }, scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
};

describe('fuzz: mutated OTLP bodies', () => {
  it(`${CASES.toLocaleString('en-US')} mutated protobuf and JSON bodies: decoded and stored, or refused with 400; no crash, hang or leak`, { timeout: 300_000 }, async (ctx) => {
    const seeds = corpus();
    assert.ok(seeds.length > 100, `${seeds.length} seeds`);
    const store = await SpanStore.open();
    const t: Tally = { cases: 0, decoded: 0, refused: 0, spans: 0, rejected: 0, truncated: 0, ingested: 0, stored: 0, maxMs: 0, maxCase: -1, peakHeap: 0 };
    gc();
    const heapStart = process.memoryUsage().heapUsed;
    const started = performance.now();
    const first = ONLY ?? 0;
    const last = ONLY === undefined ? CASES : ONLY + 1;
    try {
      for (let i = first; i < last; i++) {
        const rng = caseRng(SEED, i);
        const c = makeCase(rng, seeds);
        const t0 = performance.now();
        try {
          const batch = decodeCase(c.seed.signal, c.encoding, c.body, c.limits, t, i % 2 === 0);
          if (i % INGEST_EVERY === 0) {
            t.ingested++;
            const result = await ingest(store, c.seed.signal, c.encoding, c.body, c.limits);
            if (!result.ok) {
              assert.equal(batch, undefined, 'ingest refused a body the decoder accepted');
              assert.ok(!result.busy && result.message);
            } else {
              assert.ok(batch, 'ingest accepted a body the decoder refused');
              assert.equal(result.accepted, batch.items.length);
              assert.equal(result.rejected, batch.rejected);
              if (batch.truncated) assert.match(result.message, /truncated/);
              exportResponse(c.seed.signal, c.encoding, result.rejected, result.message);
              const firstSpan = batch.items[0] as Span | undefined;
              if (c.seed.signal === 'traces' && firstSpan) {
                // Read back through the store, which re-decodes the kept body with the default limits.
                const stored = store.getSpan(firstSpan.traceId, firstSpan.spanId);
                assert.ok(stored, 'an accepted span is not in the store');
                assert.equal(stored.spanId, firstSpan.spanId);
                t.stored += batch.items.length;
              }
            }
            if (t.ingested % 250 === 0) store.clear();
          }
        } catch (err) {
          const file = join(tmpdir(), `spanlens-fuzz-${SEED}-${i}.${c.encoding === 'json' ? 'json' : 'bin'}`);
          writeFileSync(file, c.body);
          throw new Error(`fuzz case ${i} (seed ${SEED}; ${c.how}; ${c.seed.signal} as ${c.encoding}; limits ${JSON.stringify(c.limits)}) failed; body in ${file}: ${(err as Error).stack}`);
        }
        const ms = performance.now() - t0;
        if (ms > t.maxMs) {
          t.maxMs = ms;
          t.maxCase = i;
        }
        assert.ok(ms < caseMs(c.body.length), `fuzz case ${i} (seed ${SEED}; ${c.how}) took ${ms.toFixed(0)} ms for ${c.body.length} bytes`);
        t.cases++;
        if (i % 5000 === 4999) t.peakHeap = Math.max(t.peakHeap, process.memoryUsage().heapUsed);
      }
    } finally {
      store.close();
    }
    gc();
    const heapEnd = process.memoryUsage().heapUsed;
    const seconds = (performance.now() - started) / 1000;
    const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;
    const summary =
      `fuzz seed ${SEED}: ${t.cases.toLocaleString('en-US')} cases in ${seconds.toFixed(1)} s; ${t.decoded.toLocaleString('en-US')} decoded ` +
      `(${t.spans.toLocaleString('en-US')} spans, ${t.rejected} rejected, ${t.truncated} truncated), ${t.refused.toLocaleString('en-US')} refused (400); ` +
      `${t.ingested.toLocaleString('en-US')} through ingest into a SpanStore (${t.stored.toLocaleString('en-US')} spans); slowest case ${t.maxCase} ${t.maxMs.toFixed(1)} ms; ` +
      `heap ${mib(heapStart)} → peak ${mib(t.peakHeap)} → ${mib(heapEnd)} after`;
    ctx.diagnostic(summary);
    console.log(summary);
    if (ONLY === undefined) {
      assert.ok(t.decoded > CASES / 10 && t.refused > CASES / 10, 'the mutations should give both outcomes often');
      assert.ok(t.truncated > 0, 'some cases should be cut');
    }
    assert.ok(heapEnd - heapStart < 64 * 1048576, `heap grew from ${mib(heapStart)} to ${mib(heapEnd)}`);
    assert.ok(t.peakHeap < 1024 * 1048576, `heap peaked at ${mib(t.peakHeap)}`);
  });
});
