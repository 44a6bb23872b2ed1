/** Memory of the receiver's process, sampled after collecting garbage when asked. */
import { readFileSync } from 'node:fs';
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
  /** Where the resident memory is, on Linux (undefined elsewhere). */
  map?: ResidentMap;
}

/** Resident bytes by kind of mapping, from /proc/self/smaps. */
export interface ResidentMap {
  /** The main thread's malloc heap ([heap]): what C++ allocates there, and what glibc keeps after free. */
  mallocHeap: number;
  /** 256 KiB anonymous mappings: V8's heap pages, of both threads. */
  v8Pages: number;
  /** Other anonymous mappings: WebAssembly memory, large buffers, the worker's malloc arenas, stacks. */
  otherAnonymous: number;
  /** Mapped files: the node binary and libraries. */
  files: number;
}

export function residentMap(): ResidentMap | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return undefined;
  }
  const map: ResidentMap = { mallocHeap: 0, v8Pages: 0, otherAnonymous: 0, files: 0 };
  let kind: keyof ResidentMap = 'otherAnonymous';
  for (const line of text.split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (range) {
      const name = range[3]!;
      const bytes = parseInt(range[2]!, 16) - parseInt(range[1]!, 16);
      kind = name === '[heap]' ? 'mallocHeap' : name.startsWith('/') ? 'files' : !name && bytes === 256 * 1024 ? 'v8Pages' : 'otherAnonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) map[kind] += Number(rss[1]) * 1024;
  }
  return map;
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
  return { ...sampleMemory(), map: residentMap() };
}

export const MiB = 1024 * 1024;
