/**
 * The files of a persisted store: `NAME` (a whole SQLite snapshot, replaced atomically) and
 * `NAME-journal-EPOCH` (batches since the snapshot of that epoch). See spanStore.ts for the protocol.
 */
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';

export interface JournalFile {
  epoch: number;
  path: string;
}

export function journalPath(dbPath: string, epoch: number): string {
  return `${dbPath}-journal-${epoch}`;
}

export function listJournals(dbPath: string): JournalFile[] {
  const dir = path.dirname(dbPath);
  const prefix = `${path.basename(dbPath)}-journal-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ epoch: Number(n.slice(prefix.length)), path: path.join(dir, n) }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** Moves an unreadable database aside (never overwrites it) and says where it went. */
export function moveAside(dbPath: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${dbPath}.corrupt-${stamp}`;
  renameSync(dbPath, target);
  return target;
}

/** Writes a snapshot next to the database, syncs it, then renames it over the old one. */
export async function writeSnapshot(dbPath: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${dbPath}.tmp-${process.pid}`;
  const handle = await openFile(tmp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  renameSync(tmp, dbPath);
}

export function removeQuietly(file: string): void {
  rmSync(file, { force: true });
}
