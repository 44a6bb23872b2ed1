/**
 * The store's memory after retention: sql.js's WebAssembly memory never shrinks, so the store
 * compacts (compaction.ts) and must come back near what a store opened fresh with the same data
 * holds, with every kept trace as it was, on disk as in memory.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { LogRecord } from '../../src/core/model.js';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import { COMPACT_CHECK_MS, worthCompacting } from '../../src/core/store/compaction.js';
import { SpanStore, type StoreMemory } from '../../src/core/store/spanStore.js';
import { gc } from '../helpers/gc.js';
import { resource, scope } from '../helpers/spans.js';

const MiB = 1024 * 1024;
/** Resident memory after full collections: the old sql.js instance is gone only once collected. */
function settledRss(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}
const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Batches of real OTLP protobuf bodies from the SDK: traces of LLM-sized spans (a 3 KB prompt each). */
class Batches {
  private readonly exporter = new InMemorySpanExporter();
  private readonly provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'memory-test' }),
    spanProcessors: [new SimpleSpanProcessor(this.exporter)],
  });
  private readonly tracer = this.provider.getTracer('memory-test');

  next(traces: number, spansPerTrace: number): Buffer {
    for (let t = 0; t < traces; t++) {
      const root = this.tracer.startSpan('agent run');
      const ctx = trace.setSpan(ROOT_CONTEXT, root);
      for (let i = 1; i < spansPerTrace; i++) {
        // Random text: the store keeps bodies as they come, and a prompt does not compress to nothing.
        this.tracer.startSpan(`chat ${i}`, { attributes: { 'gen_ai.prompt': randomBytes(2300).toString('base64'), i } }, ctx).end();
      }
      root.end();
    }
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(this.exporter.getFinishedSpans())!);
    this.exporter.reset();
    return body;
  }
}

function store(s: SpanStore, body: Buffer): number {
  return s.addSpans(decodeTraces(body, 'protobuf').items, { encoding: 'protobuf', body });
}

function log(traceId: string, text: string): LogRecord {
  return {
    timeUnixNano: '1700000000000000000', observedTimeUnixNano: '1700000000000000000', severityNumber: 9, severityText: 'INFO',
    body: { content: text }, attributes: {}, droppedAttributesCount: 0, flags: 0, traceId, spanId: '', eventName: 'gen_ai.user.message', resource, scope,
  };
}

/** Everything a reader sees: summaries, runs, logs and every trace's spans. */
function contents(s: SpanStore): unknown {
  const traces = s.listTraces(100_000);
  return {
    spanCount: s.spanCount,
    traceCount: s.traceCount(),
    logs: s.countLogs(),
    traces,
    runs: s.listRuns(),
    spans: traces.map((t) => s.getTrace(t.traceId)),
    logsOf: traces.map((t) => s.logsForTrace(t.traceId)),
  };
}

const held = (m: StoreMemory): number => m.engineBytes + m.fileBytes;
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

describe('when to compact', () => {
  const fresh = 21 * MiB;
  const cache = 64 * MiB;
  const at = (engine: number, file: number, live: number): boolean =>
    worthCompacting({ engineBytes: engine * MiB, fileBytes: file * MiB, liveBytes: live * MiB, compactions: 0, threadHeapBytes: 0, threadHeapUsedBytes: 0 }, cache, fresh);

  it('compacts once memory is well past what a fresh store with the data settles at (instance + cache + file)', () => {
    assert.equal(at(158, 121, 30), true, 'the soak after retention: 279 MiB held for 81');
    assert.equal(at(110, 62, 36), true, 'a smaller burst: 172 MiB held for 93');
    assert.equal(at(21, 500, 50), true, 'free pages alone (a cleared store)');
  });

  it('leaves memory a store needs, and small gains, alone', () => {
    assert.equal(at(63, 37, 33), false, 'a store at its steady size: the cache is full of live pages');
    assert.equal(at(158, 300, 250), false, 'a large store that shrank a little');
    assert.equal(at(40, 20, 1), false, 'less than COMPACT_MIN_GAIN to win');
  });
});

describe('store memory after retention', () => {
  const file = path.join(dir, 'spans.db');
  const batches = new Batches();
  const info: string[] = [];
  let s: SpanStore;
  let peak: StoreMemory;
  let peakRss: number;
  let kept: unknown;

  before(async () => {
    // 3,000 traces of 10 spans (about 100 MB of bodies), retention at 300: as when retention lags a burst.
    s = await SpanStore.open({ path: file, retention: { maxTraces: 300 }, onInfo: (m) => info.push(m) });
    for (let i = 0; i < 300; i++) store(s, batches.next(10, 10));
    s.setPinned('trace', s.listTraces(1, 2999)[0]!.traceId, true); // the oldest, pinned: retention keeps it
    s.addLogs([log(s.listTraces(1)[0]!.traceId, 'what is in the report?')]);
    const filled = s.memory();
    assert.equal(s.traceCount(), 3000);
    assert.ok(s.enforceRetention().length >= 2700);
    peak = s.memory();
    kept = contents(s);
    peakRss = settledRss();
    assert.equal(peak.compactions, 0);
    assert.ok(peak.fileBytes >= 90 * MiB && peak.liveBytes < peak.fileBytes / 5, `file ${mib(peak.fileBytes)}, live ${mib(peak.liveBytes)} (filled: sql.js heap ${mib(filled.engineBytes)})`);
  });
  after(() => s.close());

  it('compacts on its own after retention, back to what a fresh store with the same data holds', async (t) => {
    // The timer that follows deletions, as in the worker.
    const deadline = Date.now() + COMPACT_CHECK_MS + 5000;
    while (s.memory().compactions === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const compacted = s.memory();
    assert.equal(compacted.compactions, 1);
    // The process gives back most of what the old instance and its file held.
    const rss = settledRss();
    t.diagnostic(`process rss ${mib(peakRss)} → ${mib(rss)} (the store ${mib(held(peak))} → ${mib(held(compacted))})`);
    assert.ok(peakRss - rss >= 0.6 * (held(peak) - held(compacted)), `rss ${mib(peakRss)} → ${mib(rss)}`);
    assert.match(info.join('\n'), /Compacted the store's memory in \d+ ms: SQLite's heap \d+ → \d+ MiB, the database \d+ → \d+ MiB/);

    // Every kept trace reads as before; reading them all fills the page cache as any use does.
    assert.deepEqual(contents(s), kept);
    const used = s.memory();

    // A store opened fresh from the same data, read the same way.
    await s.checkpoint();
    const fresh = await SpanStore.open({ path: file, readOnly: true });
    assert.deepEqual(contents(fresh), kept);
    const baseline = fresh.memory();
    await fresh.close();
    const figures = `after retention: heap ${mib(peak.engineBytes)} + file ${mib(peak.fileBytes)}; compacted and read: ${mib(used.engineBytes)} + ${mib(used.fileBytes)}; fresh and read: ${mib(baseline.engineBytes)} + ${mib(baseline.fileBytes)}`;
    t.diagnostic(figures);
    assert.ok(used.engineBytes <= 1.5 * baseline.engineBytes, figures);
    assert.ok(held(used) <= 1.5 * held(baseline), figures);
    assert.ok(held(peak) >= 3 * held(used), figures);
  });

  it('loses nothing on disk across a compaction: a checkpoint in flight, a kill, a reopen', async () => {
    // Another burst, then a checkpoint whose write is still going when the store compacts (forced:
    // this burst frees less than the rule's 64 MiB).
    for (let i = 0; i < 150; i++) store(s, batches.next(10, 10));
    s.enforceRetention();
    const writing = s.checkpoint();
    assert.equal(await s.compact(true), true);
    await writing;

    // Ingest goes on in the new instance, and a killed process (no close) leaves files that open.
    const more = batches.next(5, 4);
    assert.equal(store(s, more), 20);
    s.deleteTraces([s.listTraces(1, 10)[0]!.traceId]);
    s.flush();
    const now = contents(s);
    const afterKill = await SpanStore.open({ path: file, readOnly: true });
    assert.deepEqual(contents(afterKill), now);
    await afterKill.close();

    // A compaction forced while files are read back mid-way: they open all the same.
    s.flush();
    const compacting = s.compact(true);
    const during = await SpanStore.open({ path: file, readOnly: true });
    assert.deepEqual(contents(during), now);
    await during.close();
    assert.equal(await compacting, true);
    assert.equal(s.memory().compactions, 3);

    await s.close();
    s = await SpanStore.open({ path: file, retention: { maxTraces: 300 } });
    assert.deepEqual(contents(s), now);
    assert.equal(store(s, batches.next(1, 3)), 3, 'and a reopened store takes spans');
  });

  it('leaves a store alone when its memory is what its data needs', async () => {
    const small = await SpanStore.open({ retention: { maxTraces: 5 } });
    for (let i = 0; i < 4; i++) store(small, batches.next(5, 3));
    small.enforceRetention();
    const before = small.memory();
    assert.equal(await small.compact(), false);
    // The store's own memory, not the thread's heap, which any allocation moves.
    const own = ({ threadHeapBytes: _total, threadHeapUsedBytes: _used, ...m }: StoreMemory): object => m;
    assert.deepEqual(own(small.memory()), own(before));
    // Forced, a store in memory only moves just as well.
    const traces = contents(small);
    assert.equal(await small.compact(true), true);
    assert.deepEqual(contents(small), traces);
    assert.equal(store(small, batches.next(1, 2)), 2);
    await small.close();
  });
});
