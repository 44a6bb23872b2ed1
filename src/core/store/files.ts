/**
 * The files of a persisted store: `NAME` (a whole SQLite snapshot, replaced atomically) and
 * `NAME-journal-EPOCH` (batches since the snapshot of that epoch). See spanStore.ts for the protocol.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
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

function asideName(file: string): string {
  return `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/** Moves an unreadable database aside (never overwrites it) and says where it went. */
export function moveAside(dbPath: string): string {
  const target = asideName(dbPath);
  renameSync(dbPath, target);
  return target;
}

/** Keeps a copy of a damaged journal (the original is replayed up to the damage, then retired). */
export function copyAside(file: string): string {
  const target = asideName(file);
  copyFileSync(file, target);
  return target;
}

/**
 * Why these bytes are not a whole SQLite database, or undefined. Checks the header only: a
 * snapshot cut short (a copy interrupted, a disk that filled) is shorter than its header says.
 */
export function snapshotProblem(bytes: Uint8Array): string | undefined {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 100));
  if (header.length < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return 'not an SQLite database';
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = header.readUInt32BE(28);
  // The page count in the header is valid when its "version valid for" matches the change counter.
  if (pages > 0 && header.readUInt32BE(92) === header.readUInt32BE(24) && pages * pageSize !== bytes.length) {
    return `truncated: ${bytes.length} of ${pages * pageSize} bytes`;
  }
  return undefined;
}

/**
 * Writes a snapshot next to the database, syncs it, then renames it over the old one. Creates
 * the folder when it was deleted; leaves no temporary file behind when the write fails.
 */
export async function writeSnapshot(dbPath: string, bytes: Uint8Array): Promise<void> {
  mkdirSync(path.dirname(dbPath), { recursive: true });
  const tmp = `${dbPath}.tmp-${process.pid}`;
  try {
    const handle = await openFile(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    renameSync(tmp, dbPath);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
}

/**
 * Deletes snapshots a killed process left half-written (`NAME.tmp-PID`, as large as the database)
 * and write probes. Only for the lock holder: no one else writes these files.
 */
export function removeLeftovers(dbPath: string): void {
  const dir = path.dirname(dbPath);
  const base = path.basename(dbPath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(`${base}.`) && /^\.(tmp|probe)-\d+$/.test(n.slice(base.length))) removeQuietly(path.join(dir, n));
}

export function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // A read-only folder: the file stays, and is harmless (older journals are not replayed).
  }
}
