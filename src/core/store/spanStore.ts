/**
 * The span store: SQLite (sql.js, in memory) made durable by a snapshot file and a journal.
 *
 * Persistence protocol. Every change is appended to `NAME-journal-EPOCH` as it is made (raw
 * OTLP bodies are journaled as received, so persisting costs no encoding). When the journal has
 * grown past the snapshot's size, a checkpoint bumps the epoch, exports the database, writes it
 * to a temporary file and renames it over `NAME`, then deletes older journals; changes during
 * the write go to the new epoch's journal. Opening replays every journal whose epoch is not
 * older than the snapshot's. So the cost per batch is its own size, a checkpoint's cost is
 * amortised over as many bytes as it writes, and a kill at any moment leaves files that open.
 * persistence.ts keeps serving from memory when the disk refuses writes; a damaged file is moved
 * or copied aside at open; lock.ts and siblings.ts keep two windows from overwriting each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import type { Database } from 'sql.js';
import { Emitter } from '../events.js';
import type { LogRecord, Span } from '../model.js';
import type { Price } from '../normalize/prices.js';
import { decodeLogs, decodeTraces } from '../otlp/decode.js';
import { tracesRequestJson } from '../otlp/encodeJson.js';
import { copyAside, listJournals, moveAside, snapshotProblem } from './files.js';
import { RecordKind, readJournal } from './journal.js';
import type { StoreLock } from './lock.js';
import { Persistence, type StorageState } from './persistence.js';
import { claimFiles, mergeSiblings } from './siblings.js';
import { type ShownFormRecord, currentForm, decodeFormRecord, encodeFormRecord, formKey, putForm, tracesWithoutForm } from './shownForms.js';
import { CONNECTION_PRAGMAS, CREATE_SCHEMA, NEW_DATABASE_PRAGMAS, SCHEMA_VERSION } from './schema.js';
import { type RunSummary, SpanTables, type TraceSummary } from './spanTables.js';
import { type SqlEngine, newSqlEngine } from './sqlite.js';
import { CompactionSchedule, type StoreMemory, cacheBytes, compactedMessage, moveTables, worthCompacting } from './compaction.js';
import { type IndexRow, indexRows } from './indexRow.js';

export type { RunSummary, StorageState, StoreMemory, TraceSummary };

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** Spans stored per trace by default: an agent loop can make thousands; past this they are counted. */
export const DEFAULT_MAX_SPANS_PER_TRACE = 10_000;

/** What storing a batch of spans did. */
export interface AddSpansResult {
  /** Spans stored (new ones: a span stored before is ignored). */
  stored: number;
  /** Spans not stored because their trace already had `maxSpansPerTrace`: counted on the trace. */
  truncated: number;
  /** The limit in force, to tell the sender. */
  maxSpansPerTrace: number;
}

/** What the extension's settings and `spanlens serve` keep by default. */
export const DEFAULT_RETENTION = { maxTraces: 5000, maxBytes: 512 * 1024 * 1024 } as const;

export interface RetentionLimits {
  /** Most traces kept; the oldest unpinned runs go first. */
  maxTraces?: number;
  /** Most bytes the database may take. */
  maxBytes?: number;
}

export interface StoreOptions {
  /** The database file; omit for a store that lives in memory only. */
  path?: string;
  /** Open an existing database for reading: replays its journal but writes nothing. */
  readOnly?: boolean;
  /** Told about recoverable trouble (a corrupt file moved aside, a failed write). */
  onWarning?: (message: string) => void;
  /** Told what is worth a log line and no more (memory given back by a compaction). */
  onInfo?: (message: string) => void;
  /** A checkpoint happens once the journal is larger than this and than the last snapshot. */
  checkpointMinBytes?: number;
  retention?: RetentionLimits;
  /** Price overrides, USD per million tokens, by model. */
  prices?: Record<string, Price>;
  /** Quiet time that splits the traces of one instance into runs. */
  quietGapMs?: number;
  /** Spans kept per trace (default DEFAULT_MAX_SPANS_PER_TRACE); the rest are counted on the trace. */
  maxSpansPerTrace?: number;
  /** How long to wait for another process's lock on the file before writing beside it (default 3 s). */
  lockWaitMs?: number;
}

/** A reloaded window opens the store while the old one may still be closing it: wait that long. */
const LOCK_WAIT_MS = 3000;

/** Where the raw body of a batch came from, so the journal can keep it as it is. */
export interface RawBody {
  encoding: 'protobuf' | 'json';
  body: Uint8Array;
  /** The body bytes are raw-deflate compressed (kept that way: a third of the size). */
  deflated?: boolean;
}

function journalKind(body: RawBody): RecordKind {
  if (body.deflated) return body.encoding === 'json' ? RecordKind.TracesJsonDeflate : RecordKind.TracesProtobufDeflate;
  return body.encoding === 'json' ? RecordKind.TracesJson : RecordKind.TracesProtobuf;
}

export interface StoreChange {
  spans: number;
  logs: number;
  traceIds: string[];
  /** Traces deleted (by the user or by retention). */
  deletedTraceIds: string[];
  cleared: boolean;
}

const RETENTION_EVERY_MS = 1000;

export class SpanStore {
  private readonly changes = new Emitter<StoreChange>();
  /** Fired after each stored batch, deletion and clear. */
  readonly onDidChange = this.changes.event;
  private persistence: Persistence | undefined;
  private lock: StoreLock | undefined;
  private readonly storageStates = new Emitter<StorageState>();
  /** Fired when the store starts or stops being able to write its files. */
  readonly onDidChangeStorage = this.storageStates.event;
  private snapshotBytes = 0;
  private closed = false;
  private limitWarned = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  private replaying = false;
  private readonly compaction = new CompactionSchedule((force) => this.moveToNewEngine(force));

  private constructor(
    private readonly tables: SpanTables,
    private epoch: number,
    private options: StoreOptions,
    private engine: SqlEngine,
  ) {}

  /** Changes retention, prices, the run gap and the span limit; all but retention apply to spans stored from now on. */
  configure(update: Pick<StoreOptions, 'retention' | 'prices' | 'quietGapMs' | 'maxSpansPerTrace'>): void {
    this.options = { ...this.options, ...update };
    this.tables.configure(this.tablesOptions());
    this.scheduleRetention();
  }

  private tablesOptions(): { quietGapMs?: number; maxSpansPerTrace: number } {
    return { quietGapMs: this.options.quietGapMs, maxSpansPerTrace: this.options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE };
  }

  /** Where the data lives now: on disk, in memory by design, or in memory only because writes fail. */
  get storage(): StorageState {
    const file = this.options.path;
    if (!file) return { kind: 'memory' };
    if (this.options.readOnly) return { kind: 'readOnly', path: file };
    return this.persistence?.state ?? { kind: 'disk', path: file };
  }

  private get db(): Database {
    return this.tables.db;
  }

  static async open(options: StoreOptions = {}): Promise<SpanStore> {
    // An instance of its own: closing the store or compacting it frees its memory.
    const engine = await newSqlEngine();
    const SQL = engine.SQL;
    const warn = options.onWarning ?? (() => undefined);
    const asked = options.path;
    // Another window writing these files: this one writes a sibling file (see siblings.ts), or
    // with all of those taken too, keeps its spans in memory.
    const claim = asked && !options.readOnly ? await claimFiles(asked, options.lockWaitMs ?? LOCK_WAIT_MS, warn) : undefined;
    const lock = claim?.lock;
    let unwritable = claim?.unwritable;
    const file = claim?.file ?? asked;
    if (file !== asked) options = { ...options, path: file };
    let db: Database | undefined;
    let epoch = 0;
    let replayAll = false;
    let bytes: Buffer | undefined;
    let problem: Error | undefined;
    if (file) {
      try {
        bytes = readFileSync(file);
        const cut = snapshotProblem(bytes);
        if (cut) throw new StoreError(cut);
        db = new SQL.Database(bytes);
        epoch = readEpoch(db);
        // A read-only reader (the CLI's show and export) moves nothing aside: a damaged page
        // fails its query with SQLite's message instead, and the reader does not pay a full walk.
        if (!options.readOnly) checkStructure(db);
      } catch (err) {
        db?.close();
        db = undefined;
        const code = (err as NodeJS.ErrnoException).code;
        // No file (or no folder): a new store. Anything else is a file that could not be used.
        if (code !== 'ENOENT' && code !== 'ENOTDIR') problem = err as Error;
        bytes = undefined;
      }
    }
    if (file && problem) {
      if (options.readOnly) throw new StoreError(`${file} is not a readable Spanlens database (${problem.message}).`);
      replayAll = true;
      if (unwritable) {
        warn(`The trace database ${file} could not be read (${problem.message}); this window starts without its traces.`);
      } else {
        try {
          const aside = moveAside(file);
          warn(`The trace database ${file} could not be read (${problem.message}); it was moved to ${aside}, and a new one was started with what its journal still held.`);
        } catch (moveErr) {
          // Never write over a file that could not be moved: this session stays in memory.
          unwritable = `${file} could not be read (${problem.message}) nor moved aside (${(moveErr as Error).message})`;
        }
      }
    }
    db ??= new SQL.Database();
    if (!bytes) db.exec(NEW_DATABASE_PRAGMAS);
    db.exec(CONNECTION_PRAGMAS);
    db.exec(CREATE_SCHEMA);
    migrate(db);
    db.run(`INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('epoch', ?)`, [String(SCHEMA_VERSION), String(epoch)]);
    const store = new SpanStore(new SpanTables(db, {}), epoch, options, engine);
    store.tables.configure(store.tablesOptions());
    store.snapshotBytes = bytes?.length ?? 0;
    store.lock = lock;
    try {
      if (file) await store.recover(file, replayAll, unwritable);
    } catch (err) {
      store.lock?.release();
      throw err;
    }
    if (file && file === asked && store.storage.kind === 'disk') {
      const merged = await mergeSiblings(store, file, (sibling) => SpanStore.open({ path: sibling, readOnly: true, onWarning: options.onWarning }));
      for (const m of merged) warn(`Added ${m.traces} traces that another window had stored in ${m.from}.`);
    }
    return store;
  }

  /**
   * Replays journals newer than the snapshot (each up to any damage: the damaged file is copied
   * aside); a writable store then checkpoints to start clean. `unwritable`: why this store must
   * not write the files (it then serves from memory and says so).
   */
  private async recover(file: string, replayAll: boolean, unwritable?: string): Promise<void> {
    const warn = (m: string): void => this.options.onWarning?.(m);
    const journals = listJournals(file).filter((j) => replayAll || j.epoch >= this.epoch);
    this.replaying = true;
    try {
      for (const j of journals) {
        let read: ReturnType<typeof readJournal>;
        try {
          read = readJournal(j.path);
        } catch (err) {
          warn(`The journal ${j.path} could not be read (${(err as Error).message}); the changes it held are missing.`);
          continue;
        }
        let failed = 0;
        for (const r of read.records) {
          try {
            this.apply(r.kind, r.payload);
          } catch {
            failed++;
          }
        }
        if (failed) warn(`${failed} records of ${j.path} could not be applied and were skipped.`);
        if (read.tail !== 'clean') {
          const what = read.tail === 'truncated' ? 'is incomplete (the process or the disk stopped mid-write)' : 'is damaged';
          let aside = '';
          if (!this.options.readOnly && !unwritable) {
            try {
              aside = `; the file was copied to ${copyAside(j.path)}`;
            } catch {
              // No room for the copy: the records before the damage are recovered all the same.
            }
          }
          warn(`The journal ${j.path} ${what} after ${read.records.length} records; those were recovered${aside}.`);
        }
      }
    } finally {
      this.replaying = false;
    }
    if (this.options.readOnly) return;
    this.epoch = Math.max(this.epoch, ...journals.map((j) => j.epoch));
    const persistence = new Persistence(file, this.epoch, this.snapshotBytes, (epoch) => this.exportSnapshot(epoch), {
      checkpointMinBytes: this.options.checkpointMinBytes,
      warn,
    });
    this.persistence = persistence;
    persistence.onDidChange((state) => this.storageStates.fire(state));
    if (unwritable) {
      persistence.disable(unwritable);
      warn(`Traces received in this window are kept in memory only: ${unwritable}.`);
      return;
    }
    await persistence.start(journals.length > 0 || !existsSync(file));
  }

  /** The database as a file, with `epoch` recorded in it (journals of that epoch and later apply to it). */
  private exportSnapshot(epoch: number): Uint8Array {
    this.db.run(`UPDATE meta SET value = ? WHERE key = 'epoch'`, [String(epoch)]);
    // export() closes and reopens the database, which frees prepared statements.
    this.tables.freeStatements();
    const bytes = this.db.export();
    this.db.exec(CONNECTION_PRAGMAS); // export() reopened the connection
    return bytes;
  }

  /** Applies one change, from a caller or from a journal being replayed. */
  private apply(kind: RecordKind, payload: Uint8Array): StoreChange {
    const change: StoreChange = { spans: 0, logs: 0, traceIds: [], deletedTraceIds: [], cleared: false };
    const utf8 = (): string => Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
    switch (kind) {
      case RecordKind.TracesProtobuf:
      case RecordKind.TracesJson: {
        const encoding = kind === RecordKind.TracesJson ? 'json' : 'protobuf';
        return this.applySpans(decodeTraces(payload, encoding).items, { encoding, body: payload }).change;
      }
      case RecordKind.TracesProtobufDeflate:
      case RecordKind.TracesJsonDeflate: {
        const encoding = kind === RecordKind.TracesJsonDeflate ? 'json' : 'protobuf';
        return this.applySpans(decodeTraces(inflateRawSync(payload), encoding).items, { encoding, body: payload, deflated: true }).change;
      }
      case RecordKind.LogsProtobuf:
      case RecordKind.LogsJson:
        return this.applyLogs(decodeLogs(payload, kind === RecordKind.LogsJson ? 'json' : 'protobuf').items);
      case RecordKind.LogsInternal:
        return this.applyLogs(JSON.parse(utf8()) as LogRecord[]);
      case RecordKind.Clear:
        this.tables.deleteAll();
        change.cleared = true;
        return change;
      case RecordKind.DeleteTraces:
        change.deletedTraceIds = JSON.parse(utf8()) as string[];
        this.tables.deleteTraces(change.deletedTraceIds);
        return change;
      case RecordKind.ShownForm:
        putForm(this.tables, decodeFormRecord(payload));
        return change;
      case RecordKind.Pin: {
        const pin = JSON.parse(utf8()) as { what: 'run' | 'trace'; id: string; pinned: boolean };
        this.tables.setPinned(pin.what, pin.id, pin.pinned);
        change.traceIds = pin.what === 'trace' ? [pin.id] : this.tables.traceIdsOfRun(pin.id);
        return change;
      }
      default:
        throw new StoreError(`unknown journal record kind ${kind as number}`);
    }
  }

  private applySpans(spans: Span[], body: RawBody): { change: StoreChange; truncated: number } {
    return this.applyRows(indexRows(spans, this.options.prices), body);
  }

  private applyRows(rows: IndexRow[], body: RawBody): { change: StoreChange; truncated: number } {
    const { inserted, traceIds, truncated, newlyTruncated } = this.tables.insertRows(rows, body);
    if (newlyTruncated.length && !this.replaying && !this.limitWarned) {
      // Once per session: the trees mark each truncated trace.
      this.limitWarned = true;
      const limit = this.tablesOptions().maxSpansPerTrace;
      this.options.onWarning?.(`Trace ${newlyTruncated[0]} reached ${limit} spans; further spans of it are counted but not stored (in VS Code, the setting spanlens.maxSpansPerTrace raises the limit).`);
    }
    return { change: { spans: inserted, logs: 0, traceIds, deletedTraceIds: [], cleared: false }, truncated };
  }

  private applyLogs(logs: LogRecord[]): StoreChange {
    const count = this.tables.insertLogs(logs);
    return { spans: 0, logs: count, traceIds: [...new Set(logs.map((l) => l.traceId).filter(Boolean))], deletedTraceIds: [], cleared: false };
  }

  /**
   * Applies a change made here, journals it, and tells listeners. `applyWith` applies it from
   * objects already in hand; `payload` may then be a function, called only when journaling.
   */
  private change(kind: RecordKind, payload: Uint8Array, applyWith?: () => StoreChange): StoreChange;
  private change(kind: RecordKind, payload: () => Uint8Array, applyWith: () => StoreChange): StoreChange;
  private change(kind: RecordKind, payload: Uint8Array | (() => Uint8Array), applyWith?: () => StoreChange): StoreChange {
    if (this.options.readOnly) throw new StoreError('this store was opened read-only');
    if (this.closed) throw new StoreError('this store is closed');
    const change = applyWith ? applyWith() : this.apply(kind, payload as Uint8Array);
    if (this.persistence) this.persistence.append(kind, typeof payload === 'function' ? payload() : payload);
    if (change.spans || change.logs || change.cleared || change.deletedTraceIds.length || change.traceIds.length) this.changes.fire(change);
    if (change.spans) this.scheduleRetention();
    if (change.cleared || change.deletedTraceIds.length) this.compaction.afterDeletion();
    return change;
  }

  /**
   * Stores spans (duplicates of a stored trace and span id are ignored); returns how many were
   * new. With `raw`, the spans must be what that body decodes to: the body is what is kept.
   */
  addSpans(spans: Span[], raw?: RawBody): number {
    return this.addSpansCounted(spans, raw).stored;
  }

  /** addSpans, also saying how many spans were not stored for the per-trace limit. */
  addSpansCounted(spans: Span[], raw?: RawBody): AddSpansResult {
    if (spans.length === 0) return this.result(0, 0);
    let body = raw;
    let items = spans;
    if (!body) {
      body = asBody(spans);
      items = decodeTraces(body.body, 'json').items;
    }
    let truncated = 0;
    const change = this.change(journalKind(body), body.body, () => {
      const applied = this.applySpans(items, body);
      truncated = applied.truncated;
      return applied.change;
    });
    return this.result(change.spans, truncated);
  }

  /**
   * Stores a request body's spans given as index rows, made elsewhere (the receiver's thread)
   * with indexRows() from what the body decodes to. Says how many were new and how many were
   * over the per-trace limit.
   */
  addRows(rows: IndexRow[], raw: RawBody): AddSpansResult {
    if (rows.length === 0) return this.result(0, 0);
    let truncated = 0;
    const change = this.change(journalKind(raw), raw.body, () => {
      const applied = this.applyRows(rows, raw);
      truncated = applied.truncated;
      return applied.change;
    });
    return this.result(change.spans, truncated);
  }

  private result(stored: number, truncated: number): AddSpansResult {
    return { stored, truncated, maxSpansPerTrace: this.tablesOptions().maxSpansPerTrace };
  }

  addLogs(logs: LogRecord[], raw?: RawBody): number {
    const kind = raw ? (raw.encoding === 'json' ? RecordKind.LogsJson : RecordKind.LogsProtobuf) : RecordKind.LogsInternal;
    return this.change(kind, () => raw?.body ?? Buffer.from(JSON.stringify(logs)), () => this.applyLogs(logs)).logs;
  }

  clear(): void {
    this.change(RecordKind.Clear, Buffer.alloc(0));
  }

  deleteTraces(traceIds: string[]): void {
    if (traceIds.length) this.change(RecordKind.DeleteTraces, Buffer.from(JSON.stringify(traceIds)));
  }

  deleteRun(runId: string): void {
    this.deleteTraces(this.tables.traceIdsOfRun(runId));
  }

  setPinned(what: 'run' | 'trace', id: string, pinned: boolean): void {
    this.change(RecordKind.Pin, Buffer.from(JSON.stringify({ what, id, pinned })));
  }

  get spanCount(): number {
    return this.tables.spanCount;
  }

  /** Traces, newest first; of one run when `runId` is given. */
  listTraces(limit = 1000, offset = 0, runId?: string): TraceSummary[] {
    return this.tables.listTraces(limit, offset, runId);
  }

  traceSummary(traceId: string): TraceSummary | undefined {
    return this.tables.traceSummary(traceId);
  }

  /** Runs, newest first. */
  listRuns(): RunSummary[] {
    return this.tables.listRuns();
  }

  /** One trace's spans in start order. */
  getTrace(traceId: string): Span[] {
    return this.tables.getTrace(traceId);
  }

  /** Spans overlapping [startNs, endNs), in start order. */
  getSpan(traceId: string, spanId: string): Span | undefined {
    return this.tables.getSpan(traceId, spanId);
  }

  /** The trace's printed form, if `version` made it from the trace as it is now (see shownForms.ts). */
  shownForm(traceId: string, version: string): Uint8Array | undefined {
    return currentForm(this.tables, traceId, version);
  }

  /** What a form of the trace made now by `version` is keyed by; undefined for no such trace. */
  formKey(traceId: string, version: string): string | undefined {
    return formKey(this.tables, traceId, version);
  }

  tracesWithoutForm(version: string, minSpans: number, limit = 100): string[] {
    return tracesWithoutForm(this.tables, version, minSpans, limit);
  }

  /** Keeps a trace's printed form; journaled, so that other readers of the files (the CLI) find it. */
  putShownForm(record: ShownFormRecord): void {
    this.change(RecordKind.ShownForm, encodeFormRecord(record));
  }

  /** The price overrides in force (settings), over the shipped table. */
  get prices(): Record<string, Price> | undefined {
    return this.options.prices;
  }

  spansInWindow(startNs: string, endNs: string, limit = 10000): Span[] {
    return this.tables.spansInWindow(startNs, endNs, limit);
  }

  /**
   * Trace ids (at most `limit`) whose span names or attribute values (prompts, responses) or log
   * records contain `text`, case-insensitively. Bounded: reads the newest bodies only.
   */
  searchTraces(text: string, limit = 200): string[] {
    return this.tables.searchTraces(text, limit);
  }

  /** Log records of a trace (GenAI content often arrives as log events), joined by trace and span id. */
  logsForTrace(traceId: string): LogRecord[] {
    return this.tables.logsForTrace(traceId);
  }

  countLogs(): number {
    return this.tables.countLogs();
  }

  traceCount(): number {
    return this.tables.traceCount();
  }

  /** Applies the retention limits now: deletes the oldest unpinned runs' traces past them. */
  enforceRetention(): string[] {
    const { maxTraces, maxBytes } = this.options.retention ?? {};
    if (this.options.readOnly || this.closed || (!maxTraces && !maxBytes)) return [];
    const victims: string[] = [];
    if (maxTraces) victims.push(...this.tables.oldestUnpinned(this.tables.traceCount() - maxTraces));
    if (victims.length) this.deleteTraces(victims);
    if (maxBytes) {
      for (let round = 0; round < 20; round++) {
        const used = this.usedBytes();
        if (used <= maxBytes) break;
        const count = this.tables.traceCount();
        const batch = this.tables.oldestUnpinned(Math.max(1, Math.ceil(count * Math.min(0.5, (used - maxBytes) / used + 0.02))));
        if (batch.length === 0) break;
        this.deleteTraces(batch);
        victims.push(...batch);
      }
    }
    return victims;
  }

  /** Bytes of database pages in use (pages freed by deletes are reused, not returned). */
  usedBytes(): number {
    const free = this.tables.all('PRAGMA freelist_count')[0]![0] as number;
    const size = this.tables.all('PRAGMA page_size')[0]![0] as number;
    return this.tables.byteSize() - free * size;
  }

  private scheduleRetention(): void {
    if (this.replaying || this.retentionTimer || !this.options.retention || this.options.readOnly) return;
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = undefined;
      this.enforceRetention();
    }, RETENTION_EVERY_MS);
    this.retentionTimer.unref?.();
  }

  /**
   * Writes buffered journal records to the file now. After it returns, a killed process (a
   * reloaded window) loses none of the changes made so far; the worker calls it before
   * acknowledging a batch.
   */
  flush(): void {
    this.persistence?.flush();
  }

  /** Writes a whole snapshot and starts a new journal (also how a store in memory only retries). */
  checkpoint(): Promise<void> {
    return this.persistence?.checkpoint() ?? Promise.resolve();
  }

  /** The memory the store holds (its sql.js instance and database file), and how often it gave some back. */
  memory(): StoreMemory {
    const heap = process.memoryUsage();
    return {
      engineBytes: this.engine.memoryBytes(),
      fileBytes: this.tables.byteSize(),
      liveBytes: this.usedBytes(),
      compactions: this.compaction.count,
      threadHeapBytes: heap.heapTotal,
      threadHeapUsedBytes: heap.heapUsed,
    };
  }

  /**
   * Moves the database into a new sql.js instance, without its free pages, when the memory held
   * is well past what the data needs (compaction.ts), or in any case with `force`; the old
   * instance's memory then goes with the garbage collector. Resolves to whether it moved. The
   * data stays the same, so the files on disk are not touched. Runs after deletions by itself.
   */
  compact(force = false): Promise<boolean> {
    return this.compaction.run(force);
  }

  private async moveToNewEngine(force: boolean): Promise<boolean> {
    const worth = (): boolean => force || worthCompacting(this.memory(), cacheBytes(this.db), this.engine.initialBytes);
    if (this.options.readOnly || !worth()) return false;
    const engine = await newSqlEngine();
    // Changes made meanwhile went to the database being copied: the copy is made now, in one go.
    if (!this.compaction.active || !worth()) return false;
    const before = this.memory();
    const started = performance.now();
    try {
      moveTables(this.tables, engine.SQL, CONNECTION_PRAGMAS);
    } catch (err) {
      this.options.onInfo?.(`The store's memory could not be compacted (${(err as Error).message}); it goes on as it was.`);
      return false;
    }
    this.engine = engine;
    this.options.onInfo?.(compactedMessage(before, this.memory(), performance.now() - started));
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.compaction.stop();
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    await this.persistence?.close();
    this.lock?.release();
    this.closed = true;
    this.changes.dispose();
    this.storageStates.dispose();
    this.db.close();
  }
}

/**
 * Damage inside the file (pages overwritten) shows only when a query reaches it; SQLite's quick
 * check walks every page once (about 0.15 s per 100 MB), so it shows at open instead.
 */
function checkStructure(db: Database): void {
  const result = db.exec('PRAGMA quick_check(1)')[0]?.values[0]?.[0];
  if (result !== 'ok') throw new StoreError(`damaged: ${String(result)}`);
}

/** Columns added since the schema version: added in place, so older databases open as they are. */
function migrate(db: Database): void {
  const has = db.exec(`SELECT 1 FROM pragma_table_info('traces') WHERE name = 'truncated_spans'`);
  if (!has[0]?.values.length) db.exec(`ALTER TABLE traces ADD COLUMN truncated_spans INTEGER NOT NULL DEFAULT 0`);
}

/** Spans from anywhere but a request body (imports of our own form) become an OTLP/JSON body. */
function asBody(spans: Span[]): RawBody {
  return { encoding: 'json', body: Buffer.from(JSON.stringify(tracesRequestJson(spans))) };
}

function readEpoch(db: Database): number {
  const res = db.exec(`SELECT key, value FROM meta WHERE key IN ('epoch', 'schema')`);
  const values = new Map(res[0]?.values.map((r) => [r[0] as string, r[1] as string]));
  if (!values.has('epoch')) throw new StoreError('no Spanlens metadata');
  if (Number(values.get('schema')) !== SCHEMA_VERSION) throw new StoreError(`schema version ${values.get('schema')} is not ${SCHEMA_VERSION}`);
  return Number(values.get('epoch'));
}
