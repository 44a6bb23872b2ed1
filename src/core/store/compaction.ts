/**
 * Compaction: giving back the memory a store holds beyond what its data needs. sql.js runs SQLite
 * in one WebAssembly memory, which grows with SQLite's heap and never shrinks: the page cache
 * fills it up to cache_size, and a large delete (retention) journals every page it changes there
 * (journal_mode = MEMORY). The database file lives beside it in a JavaScript buffer that keeps its
 * largest size: deleted pages go to SQLite's free list, which the next inserts reuse. After
 * retention deleted a large share, the store vacuums the database, copies it into a new sql.js
 * instance and lets the old one go. The data is the same before and after, so the snapshot and
 * journal on disk stay as they are: a crash during a compaction is a crash like any other.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import type { SpanTables } from './spanTables.js';

const MiB = 1024 * 1024;

/** Compact when memory is at least this many times what a fresh store with the data settles at… */
export const COMPACT_RATIO = 1.5;
/** …and at least this much above it: smaller gains are not worth a copy of the database. */
export const COMPACT_MIN_GAIN = 64 * MiB;
/** A compaction blocks the store's thread (0.5–0.7 s per 100 MB in use, measured): one per this long at most. */
export const COMPACT_MIN_INTERVAL_MS = 30_000;
/** Deletions come in rounds (retention deletes in batches): look this long after the first of them. */
export const COMPACT_CHECK_MS = 2000;

/** The store's memory, for its stats and the rule below. */
export interface StoreMemory {
  /** Bytes of the sql.js instance's WebAssembly memory (SQLite's heap). */
  engineBytes: number;
  /** Bytes of the database file in sql.js's in-memory file system, free pages included. */
  fileBytes: number;
  /** Bytes of the pages in use. */
  liveBytes: number;
  /** Compactions since the store opened. */
  compactions: number;
  /** The V8 heap held by the thread the store runs in (in its worker: the worker's own), for reports. */
  threadHeapBytes: number;
  /** Of that heap, what is in use (the rest is held for new objects). */
  threadHeapUsedBytes: number;
}

/**
 * What a store opened fresh with the same data settles at once it has been read: a new
 * instance's memory, the page cache holding the live pages (up to its size), and the file.
 */
export function settledBytes(liveBytes: number, cacheBytes: number, initialEngineBytes: number): number {
  return initialEngineBytes + Math.min(liveBytes, cacheBytes) + liveBytes;
}

/** Whether the memory held (instance and file) is worth a compaction. */
export function worthCompacting(m: StoreMemory, cacheBytes: number, initialEngineBytes: number): boolean {
  const held = m.engineBytes + m.fileBytes;
  const settled = settledBytes(m.liveBytes, cacheBytes, initialEngineBytes);
  return held >= COMPACT_RATIO * settled && held - settled >= COMPACT_MIN_GAIN;
}

/** The page cache's budget in bytes, from `PRAGMA cache_size` (negative: KiB; positive: pages). */
export function cacheBytes(db: Database): number {
  const size = db.exec('PRAGMA cache_size')[0]?.values[0]?.[0] as number;
  const page = db.exec('PRAGMA page_size')[0]?.values[0]?.[0] as number;
  return size < 0 ? -size * 1024 : size * page;
}

/**
 * `db`'s data in a new Database of the sql.js instance `SQL`, without its free pages. Free the
 * statements prepared on `db` first (VACUUM refuses to run beside one that is running); `db`
 * itself stays open and unchanged but for its layout, so that the caller can go on with it
 * when this throws.
 */
function copyInto(db: Database, SQL: SqlJsStatic, connectionPragmas: string): Database {
  try {
    // In the old instance, whose memory goes anyway: the copy then holds only live pages.
    db.exec('VACUUM');
  } catch {
    // Out of memory, most likely: the copy keeps the free pages, and the instance is new all the same.
  }
  const bytes = db.export();
  db.exec(connectionPragmas); // as after any export (see SpanStore.exportSnapshot)
  const copy = new SQL.Database(bytes);
  try {
    copy.exec(connectionPragmas);
    const count = (d: Database): unknown => d.exec('SELECT COUNT(*) FROM traces')[0]?.values[0]?.[0];
    if (count(copy) !== count(db)) throw new Error('the copy of the database differs from it');
    return copy;
  } catch (err) {
    copy.close();
    throw err;
  }
}

/**
 * Moves `tables` onto a copy of their database in the instance `SQL` and closes the old database.
 * When the copy fails this throws, and the tables go on with the old database as it was.
 */
export function moveTables(tables: SpanTables, SQL: SqlJsStatic, connectionPragmas: string): void {
  tables.freeStatements();
  const copy = copyInto(tables.db, SQL, connectionPragmas);
  const old = tables.db;
  tables.moveTo(copy);
  old.close();
}

/** The log line of a compaction. */
export function compactedMessage(before: StoreMemory, after: StoreMemory, ms: number): string {
  const mib = (n: number): string => (n / MiB).toFixed(0);
  return (
    `Compacted the store's memory in ${ms.toFixed(0)} ms: SQLite's heap ${mib(before.engineBytes)} → ${mib(after.engineBytes)} MiB, ` +
    `the database ${mib(before.fileBytes)} → ${mib(after.fileBytes)} MiB (${mib(after.liveBytes)} MiB in use).`
  );
}

/**
 * When a store compacts: soon after deletions, no sooner than COMPACT_MIN_INTERVAL_MS after the
 * last compaction, one at a time, never once stopped (the store closing). `move` does the work
 * and says whether the store moved.
 */
export class CompactionSchedule {
  /** Compactions done. */
  count = 0;
  private running: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private stopped = false;

  constructor(private readonly move: (force: boolean) => Promise<boolean>) {}

  get active(): boolean {
    return !this.stopped;
  }

  /** Something was deleted: look at the memory a little later. */
  afterDeletion(): void {
    if (this.timer || this.stopped) return;
    const wait = Math.max(COMPACT_CHECK_MS, this.last + COMPACT_MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(false);
    }, wait);
    this.timer.unref?.();
  }

  run(force: boolean): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.running ??= this.move(force)
      .then((moved) => {
        if (moved) {
          this.count++;
          this.last = Date.now();
        }
        return moved;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** No more compactions; resolves once one under way is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
