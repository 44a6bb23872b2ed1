/** What the bench measures and for how long; the targets come from the issue. */

export const TARGET_INGEST_SPANS_PER_SEC = 50_000;
export const TARGET_LOOP_P99_MS = 50;

export interface Config {
  /** Distinct 512-span payloads generated, then replayed as new spans (see stamp.ts). */
  payloadBatches: number;
  decodeSeconds: number;
  /** Batches per direct addSpans run. */
  directBatches: number;
  ingestWarmupSeconds: number;
  ingestSeconds: number;
  /** Concurrent keep-alive exporters in the main ingest run. */
  clients: number;
  /** A second, shorter run with one client: one SDK exporting one batch at a time. */
  singleClientSeconds: number;
  /** A third run with the store in the receiver's thread (SpanStore), for comparison. */
  inlineSeconds: number;
  /** Store sizes (spans) at which persistence is measured. */
  sizes: number[];
  /** Batches measured at each size: at least this many, and enough to grow the store by windowGrowth. */
  window: number;
  windowGrowth: number;
  loopResolutionMs: number;
  /** V8 heap limit of each child (sql.js keeps the database outside it, as ArrayBuffers). */
  heapMb: number;
}

export const FULL: Config = {
  payloadBatches: 64,
  decodeSeconds: 5,
  directBatches: 300,
  ingestWarmupSeconds: 3,
  ingestSeconds: 20,
  clients: 4,
  singleClientSeconds: 10,
  inlineSeconds: 10,
  sizes: [10_000, 100_000, 1_000_000],
  window: 50,
  windowGrowth: 0.15,
  loopResolutionMs: 10,
  heapMb: 4096,
};

export const QUICK: Config = { ...FULL, decodeSeconds: 2, directBatches: 60, ingestWarmupSeconds: 1, ingestSeconds: 5, singleClientSeconds: 3, inlineSeconds: 3, sizes: [10_000, 100_000], window: 20 };
