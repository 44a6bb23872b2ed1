/**
 * A second window on a workspace cannot write `NAME` (the first holds its lock), so it writes
 * `NAME-2` (or -3, …) beside it. The next store to open `NAME` itself adds what those hold and
 * deletes them, so a second window's traces are kept and end up where the user looks.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { listJournals, removeQuietly } from './files.js';
import { StoreLock } from './lock.js';
import type { SpanStore } from './spanStore.js';

export const MAX_SIBLINGS = 9;

export function siblingPath(dbPath: string, n: number): string {
  return `${dbPath}-${n}`;
}

/** Sibling databases that have files now. */
export function existingSiblings(dbPath: string): string[] {
  const dir = path.dirname(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (let n = 2; n <= MAX_SIBLINGS; n++) {
    const sibling = siblingPath(dbPath, n);
    const base = path.basename(sibling);
    if (existsSync(sibling) || names.some((name) => name.startsWith(`${base}-journal-`))) out.push(sibling);
  }
  return out;
}

/**
 * Adds the traces (with their logs and pins) of each sibling no other window has open to
 * `target`, then deletes the sibling's files. Returns the traces added and from where.
 */
export async function mergeSiblings(
  target: SpanStore,
  dbPath: string,
  open: (sibling: string) => Promise<SpanStore>,
): Promise<{ from: string; traces: number }[]> {
  const merged: { from: string; traces: number }[] = [];
  for (const sibling of existingSiblings(dbPath)) {
    const lock = StoreLock.acquire(sibling);
    if (!(lock instanceof StoreLock)) continue; // its window is still open
    try {
      const source = await open(sibling);
      let traces = 0;
      try {
        for (const t of source.listTraces(Number.MAX_SAFE_INTEGER)) {
          target.addSpans(source.getTrace(t.traceId));
          const logs = source.logsForTrace(t.traceId);
          if (logs.length) target.addLogs(logs);
          if (t.pinned) target.setPinned('trace', t.traceId, true);
          traces++;
        }
      } finally {
        await source.close();
      }
      await target.checkpoint();
      if (target.storage.kind !== 'disk') break; // keep the sibling until its traces are on disk
      removeQuietly(sibling);
      for (const j of listJournals(sibling)) removeQuietly(j.path);
      merged.push({ from: sibling, traces });
    } finally {
      lock.release();
    }
  }
  return merged;
}
