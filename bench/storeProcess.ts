/**
 * Child process: the in-process measurements, without HTTP. `decode` decodes the payloads;
 * `direct` stores them through SpanStore.addSpans (with and without decoding); `persistence`
 * fills a store to each size and measures what one more batch and one checkpoint cost there,
 * with the work the store worker does per batch (storeWorker.ts: deflate the body, then
 * SpanStore.addRows with the index rows that StoreClient computed on the receiver's thread).
 */
import { readdirSync, statSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Span } from '../src/core/model.js';
import { decodeTraces } from '../src/core/otlp/decode.js';
import { type IndexRow, indexRows } from '../src/core/store/indexRow.js';
import { type RawBody, SpanStore } from '../src/core/store/spanStore.js';
import { type MemorySample, childArgs, memorySample, send } from './ipc.js';
import { BATCH_SPANS, type Payload, type PayloadSet, loadPayloads } from './payloads.js';
import { SpanStamper, stampedBody } from './stamp.js';
import { type Distribution, MiB, distribution, mean } from './stats.js';

export type StoreArgs =
  | { phase: 'decode'; payloadDir: string; seconds: number }
  | { phase: 'direct'; payloadDir: string; dir: string; batches: number }
  | { phase: 'persistence'; payloadDir: string; dir: string; sizes: number[]; window: number; windowGrowth: number };

export interface DecodeResult {
  spansPerSec: number;
  mbPerSec: number;
  msPerBatch: number;
}

export interface DirectRun {
  spans: number;
  /** Spans over the time spent inside the measured calls. */
  spansPerSec: number;
  /** Spans over the loop's wall time (includes yielding to journal timers and snapshot writes). */
  wallSpansPerSec: number;
  batchMs: Distribution;
}

export interface DirectResult {
  addSpans: DirectRun;
  decodeAndAdd: DirectRun;
  memory: MemorySample;
}

export interface SizePoint {
  /** Spans in the store when the window started. */
  spans: number;
  /** Batches in the window. */
  batches: number;
  batchMs: Distribution;
  /** Window batches during which a checkpoint started (their time includes its synchronous part). */
  checkpointsInWindow: number;
  /** Mean ms of the window's batches that started no checkpoint. */
  steadyMeanMs: number;
  checkpointSyncMs: number;
  checkpointTotalMs: number;
  snapshotBytes: number;
  /** Spans in the store when the timed checkpoint wrote that snapshot. */
  spansAtSnapshot: number;
  batchesPerCheckpoint: number;
  /** steadyMeanMs + checkpointSyncMs / batchesPerCheckpoint: main-thread cost per batch. */
  amortisedMs: number;
  /** The same with the whole checkpoint (including the off-thread write): the disk's cost per batch. */
  amortisedWithWriteMs: number;
  memory: MemorySample;
}

export interface PersistenceResult {
  points: SizePoint[];
  fill: FillResult;
}

/** A batch that held the event loop for long, and whether a checkpoint started in it. */
export interface Stall {
  atSpans: number;
  ms: number;
  checkpoint: boolean;
}

export interface FillResult {
  spans: number;
  /** Time inside addSpans only. */
  seconds: number;
  spansPerSec: number;
  batches: number;
  /** Batches over STALL_MS, in order. */
  stalls: Stall[];
}

const STALL_MS = 100;
const WARMUP_BATCHES = 60;

/** The store's rule: checkpoint when the journal outgrows max(checkpointMinBytes, snapshot). */
const DEFAULT_CHECKPOINT_MIN_BYTES = 64 * MiB;
const RECORD_HEADER_BYTES = 9;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Cycles through the payloads, stamped as new spans each time (see stamp.ts). */
class BatchSource {
  private send = 0;
  private readonly stamper: SpanStamper;
  constructor(private readonly set: PayloadSet) {
    this.stamper = new SpanStamper(set, set.payloads.map((p) => decodeTraces(p.body, 'protobuf').items));
  }
  /** Decoded spans and the matching raw body. */
  take(): { spans: Span[]; body: Buffer } {
    const send = this.send++;
    return { spans: this.stamper.stamp(send), body: stampedBody(this.set, send).body };
  }
  /** What StoreClient posts to the store worker: the index rows (computed on its side) and the body. */
  takeForWorker(): { rows: IndexRow[]; body: Buffer } {
    const { spans, body } = this.take();
    return { rows: indexRows(spans), body };
  }
  /** Only the raw body, for a run that decodes it. */
  takeBody(): Buffer {
    return stampedBody(this.set, this.send++).body;
  }
}

function decodePhase(payloads: Payload[], seconds: number): DecodeResult {
  const run = (ms: number): { spans: number; bytes: number; batches: number; elapsed: number } => {
    let spans = 0;
    let bytes = 0;
    let batches = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      const p = payloads[batches++ % payloads.length]!;
      spans += decodeTraces(p.body, 'protobuf').items.length;
      bytes += p.body.length;
    }
    return { spans, bytes, batches, elapsed: performance.now() - start };
  };
  run(1000); // warm up the JIT
  const r = run(seconds * 1000);
  return { spansPerSec: (r.spans / r.elapsed) * 1000, mbPerSec: r.bytes / MiB / (r.elapsed / 1000), msPerBatch: r.elapsed / r.batches };
}

async function directRun(dir: string, name: string, source: BatchSource, batches: number, decode: boolean): Promise<DirectRun> {
  const store = await SpanStore.open({ path: path.join(dir, name) });
  const times: number[] = [];
  let spans = 0;
  const start = performance.now();
  for (let i = 0; i < batches; i++) {
    if (decode) {
      const body = source.takeBody();
      const t = performance.now();
      const items = decodeTraces(body, 'protobuf').items;
      spans += store.addSpans(items, { encoding: 'protobuf', body });
      times.push(performance.now() - t);
    } else {
      const { spans: items, body } = source.take();
      const t = performance.now();
      spans += store.addSpans(items, { encoding: 'protobuf', body });
      times.push(performance.now() - t);
    }
    await tick();
  }
  const wall = performance.now() - start;
  await store.close();
  const busy = times.reduce((a, b) => a + b, 0);
  return { spans, spansPerSec: (spans / busy) * 1000, wallSpansPerSec: (spans / wall) * 1000, batchMs: distribution(times) };
}

async function directPhase(set: PayloadSet, dir: string, batches: number): Promise<DirectResult> {
  const source = new BatchSource(set);
  await directRun(dir, 'warmup.db', source, WARMUP_BATCHES, true); // JIT and sql.js warm-up, not reported
  const addSpans = await directRun(dir, 'direct.db', source, batches, false);
  const decodeAndAdd = await directRun(dir, 'decoded.db', source, batches, true);
  return { addSpans, decodeAndAdd, memory: memorySample() };
}

/** The newest journal epoch on disk: it changes exactly when a checkpoint starts. */
function journalEpoch(file: string): number {
  const prefix = `${path.basename(file)}-journal-`;
  let epoch = -1;
  for (const n of readdirSync(path.dirname(file))) if (n.startsWith(prefix)) epoch = Math.max(epoch, Number(n.slice(prefix.length)));
  return epoch;
}

/**
 * `window` batches at least, and enough to grow the store by `windowGrowth`: sql.js grows its
 * in-memory file by 12.5% at a time, copying all of it, so a shorter window at a large size
 * could miss that (rare, long) pause and understate the cost per batch.
 */
async function persistencePhase(set: PayloadSet, dir: string, sizes: number[], window: number, windowGrowth: number): Promise<PersistenceResult> {
  const source = new BatchSource(set);
  await directRun(dir, 'warmup.db', source, WARMUP_BATCHES, false); // JIT and sql.js warm-up, not reported
  const file = path.join(dir, 'fill.db');
  const store = await SpanStore.open({ path: file });
  const points: SizePoint[] = [];
  let fillMs = 0;
  const fill: FillResult = { spans: 0, seconds: 0, spansPerSec: 0, batches: 0, stalls: [] };
  let journalBytes = 0;
  let journalBatches = 0;
  const add = (): number => {
    const { rows, body } = source.takeForWorker();
    const t = performance.now();
    // As storeWorker.ts stores a batch: deflated there, kept and journaled deflated.
    const raw: RawBody = { encoding: 'protobuf', body: deflateRawSync(body, { level: 1 }), deflated: true };
    store.addRows(rows, raw);
    const ms = performance.now() - t;
    journalBytes += raw.body.length + RECORD_HEADER_BYTES;
    journalBatches++;
    return ms;
  };
  for (const size of sizes) {
    while (store.spanCount < size) {
      const before = store.spanCount;
      const epoch = journalEpoch(file);
      const ms = add();
      fill.spans += store.spanCount - before;
      fill.batches++;
      fillMs += ms;
      if (ms > STALL_MS) fill.stalls.push({ atSpans: before, ms, checkpoint: journalEpoch(file) !== epoch });
      await tick();
    }
    // Settle any checkpoint in flight, so the timed one below is whole and alone.
    await store.checkpoint();
    const spansAtStart = store.spanCount;
    const times: number[] = [];
    const steady: number[] = [];
    let checkpointsInWindow = 0;
    const batches = Math.max(window, Math.ceil((spansAtStart * windowGrowth) / BATCH_SPANS));
    for (let i = 0; i < batches; i++) {
      const epoch = journalEpoch(file);
      const ms = add();
      times.push(ms);
      if (journalEpoch(file) !== epoch) checkpointsInWindow++;
      else steady.push(ms);
      await tick();
    }
    await store.checkpoint();
    const t = performance.now();
    const checkpoint = store.checkpoint();
    const checkpointSyncMs = performance.now() - t;
    await checkpoint;
    const checkpointTotalMs = performance.now() - t;
    const snapshotBytes = statSync(file).size;
    const batchesPerCheckpoint = Math.max(DEFAULT_CHECKPOINT_MIN_BYTES, snapshotBytes) / (journalBytes / journalBatches);
    const steadyMeanMs = mean(steady);
    points.push({
      spans: spansAtStart,
      batches,
      batchMs: distribution(times),
      checkpointsInWindow,
      steadyMeanMs,
      checkpointSyncMs,
      checkpointTotalMs,
      snapshotBytes,
      spansAtSnapshot: store.spanCount,
      batchesPerCheckpoint,
      amortisedMs: steadyMeanMs + checkpointSyncMs / batchesPerCheckpoint,
      amortisedWithWriteMs: steadyMeanMs + checkpointTotalMs / batchesPerCheckpoint,
      memory: memorySample(),
    });
  }
  await store.close();
  return { points, fill: { ...fill, seconds: fillMs / 1000, spansPerSec: (fill.spans / fillMs) * 1000 } };
}

async function main(): Promise<void> {
  const args = childArgs<StoreArgs>();
  const set = loadPayloads(args.payloadDir);
  let result: DecodeResult | DirectResult | PersistenceResult;
  if (args.phase === 'decode') result = decodePhase(set.payloads, args.seconds);
  else if (args.phase === 'direct') result = await directPhase(set, args.dir, args.batches);
  else result = await persistencePhase(set, args.dir, args.sizes, args.window, args.windowGrowth);
  await send({ type: 'result', result });
  process.disconnect();
}

void main().catch((err: Error) => {
  process.stderr.write(`[bench store] ${err.stack ?? err.message}\n`);
  process.exit(1);
});
