/**
 * A second window on a workspace cannot write `NAME` (the first holds its lock), so it writes
 * `NAME-2` (or -3, …) beside it. The next store to open `NAME` itself adds what those hold and
 * deletes them, so a second window's traces are kept and end up where the user looks.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { listJournals, removeQuietly } from './files.js';
import { type LockHolder, StoreLock } from './lock.js';
import type { SpanStore } from './spanStore.js';

export const MAX_SIBLINGS = 9;

/** The files a writable store takes: `file` (the asked one or a sibling) and its lock, or why it may write none. */
export interface FileClaim {
  file: string;
  lock: StoreLock | undefined;
  unwritable: string | undefined;
}

/**
 * Takes `asked`'s lock, waiting up to `waitMs` for a window closing; then the first free sibling.
 * A folder that cannot be written is not decided here: persistence reports it once it tries.
 */
export async function claimFiles(asked: string, waitMs: number, warn: (message: string) => void): Promise<FileClaim> {
  let lock: StoreLock | LockHolder | undefined;
  try {
    lock = StoreLock.acquire(asked);
    const deadline = Date.now() + waitMs;
    while (!(lock instanceof StoreLock) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lock = StoreLock.acquire(asked);
    }
    for (let n = 2; !(lock instanceof StoreLock) && n <= MAX_SIBLINGS; n++) {
      const sibling = StoreLock.acquire(siblingPath(asked, n));
      if (sibling instanceof StoreLock) {
        const file = siblingPath(asked, n);
        warn(`Another VS Code window or spanlens process (pid ${lock.pid}) is storing this workspace's traces in ${asked}; this one stores its own in ${file}, and the next one to open the workspace alone adds them to ${asked}.`);
        return { file, lock: sibling, unwritable: undefined };
      }
    }
  } catch {
    // The folder cannot be written (or is missing): persistence reports that once it tries.
  }
  if (lock === undefined || lock instanceof StoreLock) return { file: asked, lock, unwritable: undefined };
  return {
    file: asked,
    lock: undefined,
    unwritable: `other VS Code windows or spanlens processes (pid ${lock.pid} and more) are storing this workspace's traces in ${asked} and the files beside it`,
  };
}

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
