/**
 * One writer per database: two VS Code windows on one workspace would both replay and rewrite
 * the same files, each overwriting the other's snapshot. `NAME.lock` holds the writer's pid and
 * host; a lock whose process is gone (a crash, a killed extension host) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';

export interface LockHolder {
  pid: number;
  host: string;
  /** When the process started (Linux: /proc/PID/stat), so that a reused pid is not taken for the holder. */
  started?: string;
}

export class StoreLock {
  private constructor(readonly path: string) {}

  /** Takes the lock of `dbPath`, or says who holds it. Throws when the folder cannot be written. */
  static acquire(dbPath: string): StoreLock | LockHolder {
    const file = `${dbPath}.lock`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: startTime(process.pid) } satisfies LockHolder));
        } finally {
          closeSync(fd);
        }
        return new StoreLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && isAlive(holder)) return holder;
      // Stale (its process is gone) or unreadable (a writer stopped between create and write).
      rmSync(file, { force: true });
    }
    const holder = readHolder(file);
    return holder ?? { pid: 0, host: os.hostname() };
  }

  release(): void {
    const holder = readHolder(this.path);
    if (holder?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { pid: value.pid, host: value.host, started: value.started } : undefined;
  } catch {
    return undefined;
  }
}

/** A holder on another host (a shared folder) cannot be checked: assume it is alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Alive, unless the pid now belongs to a process that started after the holder.
  return holder.started === undefined || startTime(holder.pid) === undefined || startTime(holder.pid) === holder.started;
}

/** A process's start time in clock ticks since boot, where /proc has it (Linux); else undefined. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces, so count from its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
