/** Memory of the receiver's process, sampled after collecting garbage when asked. */
import { setImmediate as tick } from 'node:timers/promises';
import type { StoreMemory } from '../../src/core/store/compaction.js';

export interface MemorySample {
  /** Resident set size of the whole process: the receiver, the store worker and sql.js's heap. */
  rss: number;
  /** V8 heap of the receiver's thread (the worker's heap is only in rss). */
  heapUsed: number;
  /** Memory outside the V8 heap held by the receiver's thread (buffers). */
  external: number;
  /** The store's own account, where known: its SQLite heap, its database file, what is in use. */
  store?: StoreMemory;
}

export function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/** Full collections (the child runs with --expose-gc), letting finalizers run between them. */
export async function settledMemory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  return sampleMemory();
}

export const MiB = 1024 * 1024;
