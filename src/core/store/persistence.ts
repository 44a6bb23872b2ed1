/**
 * Keeps the files of a persisted store up to date: appends changes to the journal, checkpoints,
 * and survives the disk going away. When a write fails (disk full, a read-only folder, the
 * folder deleted) the store keeps serving from memory, says so once, and retries with a whole
 * snapshot of memory, so that everything stored since is written once the disk takes it again.
 * A snapshot or journal deleted while open is noticed within WATCH_MS and written again.
 */
import { closeSync, existsSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { Emitter } from '../events.js';
import { journalPath, listJournals, removeLeftovers, removeQuietly, writeSnapshot } from './files.js';
import { Journal, type RecordKind } from './journal.js';

/** Where the store's data lives, for the status bar. */
export type StorageState =
  /** No database file was asked for: memory by design. */
  | { kind: 'memory' }
  /** Every acknowledged change is in the file and its journal. */
  | { kind: 'disk'; path: string }
  /** Opened for reading: nothing is written. */
  | { kind: 'readOnly'; path: string }
  /** Writes fail: changes since `since` (ms since epoch) are in memory only; retried unless `retrying` is false. */
  | { kind: 'memoryOnly'; path: string; reason: string; since: number; retrying: boolean };

export interface PersistenceOptions {
  checkpointMinBytes?: number;
  warn: (message: string) => void;
}

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];
const WATCH_MS = 2000;

export class Persistence {
  private journal: Journal | undefined;
  private checkpointing: Promise<void> | undefined;
  private failure: { reason: string; since: number; retrying: boolean } | undefined;
  private retries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly watchTimer: NodeJS.Timeout;
  private closed = false;
  private readonly states = new Emitter<StorageState>();
  readonly onDidChange = this.states.event;

  /** `snapshot(epoch)` exports the database with that epoch recorded in it. */
  constructor(
    readonly path: string,
    private epoch: number,
    private snapshotBytes: number,
    private readonly snapshot: (epoch: number) => Uint8Array,
    private readonly options: PersistenceOptions,
  ) {
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    this.watchTimer.unref?.();
  }

  get state(): StorageState {
    if (this.failure) return { kind: 'memoryOnly', path: this.path, ...this.failure };
    return { kind: 'disk', path: this.path };
  }

  /** After recovery: continue the journal of the current epoch, or write a snapshot first. */
  async start(checkpointFirst: boolean): Promise<void> {
    removeLeftovers(this.path);
    if (checkpointFirst) return this.checkpoint();
    try {
      this.journal = this.openJournal(this.epoch);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Stays in memory for good (another window holds the file, or it cannot be moved aside). */
  disable(reason: string): void {
    this.failure = { reason, since: Date.now(), retrying: false };
    this.closeJournal();
    this.states.fire(this.state);
  }

  append(kind: RecordKind, payload: Uint8Array): void {
    // In memory only: the next snapshot writes this change with everything else.
    if (!this.journal) return;
    this.journal.append(kind, payload);
    const threshold = Math.max(this.options.checkpointMinBytes ?? 64 * 1024 * 1024, this.snapshotBytes);
    if (this.journal.size > threshold && !this.checkpointing) void this.checkpoint();
  }

  /** Writes buffered journal records to the file (to the OS: a killed process loses none of them). */
  flush(): void {
    this.journal?.flush();
  }

  /** Writes a whole snapshot of memory and starts a new journal; never rejects (failures are reported). */
  checkpoint(): Promise<void> {
    if (this.closed || this.failure?.retrying === false) return Promise.resolve();
    this.checkpointing ??= this.writeCheckpoint().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async writeCheckpoint(): Promise<void> {
    const recovering = this.failure !== undefined;
    // Retrying: find out cheaply whether the disk takes a snapshot now, before exporting one.
    if (recovering) {
      const problem = this.writeProblem();
      if (problem) {
        this.fail(problem);
        return;
      }
    }
    const epoch = this.epoch + 1;
    let bytes: Uint8Array;
    try {
      bytes = this.snapshot(epoch);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    // Changes made while the snapshot is written go to the next epoch's journal.
    let next: Journal;
    try {
      next = this.openJournal(epoch);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const previous = this.journal;
    this.journal = next;
    this.epoch = epoch;
    if (previous) this.retire(previous);
    const gap = recovering || previous?.failed === true;
    try {
      await writeSnapshot(this.path, bytes);
    } catch (err) {
      // Recovering, the files on disk stop at the first failure; a journal after that gap would
      // replay into a state that never was. Otherwise the new journal continues the old one.
      if (gap) {
        if (this.journal === next) this.journal = undefined;
        this.retire(next);
        removeQuietly(next.path);
      }
      this.fail(err as Error);
      return;
    }
    this.snapshotBytes = bytes.length;
    for (const j of listJournals(this.path)) if (j.epoch < epoch) removeQuietly(j.path);
    if (this.failure && this.journal === next && !next.failed) {
      const since = new Date(this.failure.since).toLocaleTimeString();
      this.failure = undefined;
      this.retries = 0;
      this.options.warn(`Spans are written to ${this.path} again; everything kept in memory since ${since} is saved.`);
      this.states.fire(this.state);
    }
  }

  /** Why a snapshot of about the last one's size cannot be written now (no room, no permission), or undefined. */
  private writeProblem(): Error | undefined {
    const probe = `${this.path}.probe-${process.pid}`;
    try {
      mkdirSync(path.dirname(this.path), { recursive: true });
      closeSync(openSync(probe, 'w'));
      removeQuietly(probe);
      const fs = statfsSync(path.dirname(this.path));
      if (fs.bavail * fs.bsize < this.snapshotBytes * 1.1) return Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    } catch (err) {
      removeQuietly(probe);
      return err as Error;
    }
    return undefined;
  }

  private openJournal(epoch: number): Journal {
    // The folder may have been deleted (a user cleaning up storage): make it again.
    mkdirSync(path.dirname(this.path), { recursive: true });
    const journal: Journal = new Journal(journalPath(this.path, epoch), (err) => {
      if (journal === this.journal) this.fail(err);
    });
    return journal;
  }

  /** Closes a journal, which may fail: a failed write is reported by the journal itself. */
  private retire(journal: Journal): void {
    journal.close(false);
  }

  private closeJournal(): void {
    const journal = this.journal;
    this.journal = undefined;
    if (journal) this.retire(journal);
  }

  /** A write failed: serve from memory, say so once, retry with a snapshot later. */
  private fail(err: Error): void {
    const reason = describe(err, this.path);
    this.closeJournal();
    if (!this.failure) {
      this.failure = { reason, since: Date.now(), retrying: true };
      this.options.warn(`Spans cannot be written to disk (${reason}). They are kept in memory, and written to ${this.path} as soon as it can be written again.`);
      this.states.fire(this.state);
    } else if (this.failure.reason !== reason) {
      this.failure = { ...this.failure, reason };
      this.states.fire(this.state);
    }
    if (this.closed || this.retryTimer) return;
    const delay = RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)]!;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.checkpoint();
    }, delay);
    this.retryTimer.unref?.();
  }

  /** A snapshot or journal deleted while the store is open is written again from memory. */
  private watch(): void {
    if (this.failure || this.checkpointing || this.closed || !this.journal) return;
    if (existsSync(this.path) && this.journal.linked) return;
    this.options.warn(`The trace database ${this.path} was deleted while in use; it was written again from memory.`);
    void this.checkpoint();
  }

  /** A last snapshot (which may succeed even when memory-only: the disk may have space again). */
  async close(): Promise<void> {
    clearInterval(this.watchTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.checkpointing) await this.checkpointing;
    await this.checkpoint();
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.failure?.retrying) this.options.warn(`Spans received since ${new Date(this.failure.since).toLocaleTimeString()} could not be written to ${this.path} (${this.failure.reason}) and are gone with this window.`);
    const journal = this.journal;
    this.journal = undefined;
    journal?.close();
    this.states.dispose();
  }
}

/** A write error as a user can act on it. */
function describe(err: Error, file: string): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in the folder of ${file}`;
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
    case 'ENOENT':
    case 'EEXIST':
      return `the folder of ${file} is missing or not a folder`;
    default:
      return err.message;
  }
}
