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
 */
import { existsSync, readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import type { Database } from 'sql.js';
import { Emitter } from '../events.js';
import type { LogRecord, Span } from '../model.js';
import type { Price } from '../normalize/prices.js';
import { decodeLogs, decodeTraces } from '../otlp/decode.js';
import { tracesRequestJson } from '../otlp/encodeJson.js';
import { journalPath, listJournals, moveAside, removeQuietly, writeSnapshot } from './files.js';
import { Journal, RecordKind, readJournal } from './journal.js';
import { CONNECTION_PRAGMAS, CREATE_SCHEMA, NEW_DATABASE_PRAGMAS, SCHEMA_VERSION } from './schema.js';
import { type RunSummary, SpanTables, type TraceSummary } from './spanTables.js';
import { loadSqlJs } from './sqlite.js';
import { type IndexRow, indexRows } from './indexRow.js';

export type { RunSummary, TraceSummary };

export class StoreError extends Error {
  override readonly name = 'StoreError';
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
  /** A checkpoint happens once the journal is larger than this and than the last snapshot. */
  checkpointMinBytes?: number;
  retention?: RetentionLimits;
  /** Price overrides, USD per million tokens, by model. */
  prices?: Record<string, Price>;
  /** Quiet time that splits the traces of one instance into runs. */
  quietGapMs?: number;
}

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
  private journal: Journal | undefined;
  private checkpointing: Promise<void> | undefined;
  private snapshotBytes = 0;
  private closed = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  private replaying = false;

  private constructor(
    private readonly tables: SpanTables,
    private epoch: number,
    private options: StoreOptions,
  ) {}

  /** Changes retention, prices and the run gap; prices and the gap apply to spans stored from now on. */
  configure(update: Pick<StoreOptions, 'retention' | 'prices' | 'quietGapMs'>): void {
    this.options = { ...this.options, ...update };
    this.tables.configure({ quietGapMs: this.options.quietGapMs });
    this.scheduleRetention();
  }

  private get db(): Database {
    return this.tables.db;
  }

  static async open(options: StoreOptions = {}): Promise<SpanStore> {
    const SQL = await loadSqlJs();
    const warn = options.onWarning ?? (() => undefined);
    const file = options.path;
    let db: Database | undefined;
    let epoch = 0;
    let replayAll = false;
    let bytes: Buffer | undefined;
    if (file) {
      try {
        bytes = readFileSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bytes = unreadable(file, err as Error, options);
      }
    }
    if (file && bytes) {
      try {
        db = new SQL.Database(bytes);
        epoch = readEpoch(db);
      } catch (err) {
        db?.close();
        db = undefined;
        if (options.readOnly) throw new StoreError(`${file} is not a readable Spanlens database (${(err as Error).message}).`);
        const aside = moveAside(file);
        warn(`The trace database ${file} could not be read (${(err as Error).message}); it was moved to ${aside} and a new one was started.`);
        replayAll = true;
      }
    }
    db ??= new SQL.Database();
    if (!bytes) db.exec(NEW_DATABASE_PRAGMAS);
    db.exec(CONNECTION_PRAGMAS);
    db.exec(CREATE_SCHEMA);
    db.run(`INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('epoch', ?)`, [String(SCHEMA_VERSION), String(epoch)]);
    const store = new SpanStore(new SpanTables(db, { quietGapMs: options.quietGapMs }), epoch, options);
    store.snapshotBytes = bytes?.length ?? 0;
    if (file) await store.recover(file, replayAll);
    return store;
  }

  /** Replays journals newer than the snapshot; a writable store then checkpoints to start clean. */
  private async recover(file: string, replayAll: boolean): Promise<void> {
    const journals = listJournals(file).filter((j) => replayAll || j.epoch >= this.epoch);
    this.replaying = true;
    try {
      for (const j of journals) {
        const { records, corruptTail } = readJournal(j.path);
        for (const r of records) this.apply(r.kind, r.payload);
        if (corruptTail) this.options.onWarning?.(`The end of ${j.path} was incomplete (the process stopped mid-write); the records before it were recovered.`);
      }
    } finally {
      this.replaying = false;
    }
    if (this.options.readOnly) return;
    this.epoch = Math.max(this.epoch, ...journals.map((j) => j.epoch));
    if (journals.length > 0 || !existsSync(file)) await this.checkpoint();
    else this.journal = new Journal(journalPath(file, this.epoch), (e) => this.writeFailed(e));
  }

  /** Applies one change, from a caller or from a journal being replayed. */
  private apply(kind: RecordKind, payload: Uint8Array): StoreChange {
    const change: StoreChange = { spans: 0, logs: 0, traceIds: [], deletedTraceIds: [], cleared: false };
    const utf8 = (): string => Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
    switch (kind) {
      case RecordKind.TracesProtobuf:
      case RecordKind.TracesJson: {
        const encoding = kind === RecordKind.TracesJson ? 'json' : 'protobuf';
        return this.applySpans(decodeTraces(payload, encoding).items, { encoding, body: payload });
      }
      case RecordKind.TracesProtobufDeflate:
      case RecordKind.TracesJsonDeflate: {
        const encoding = kind === RecordKind.TracesJsonDeflate ? 'json' : 'protobuf';
        return this.applySpans(decodeTraces(inflateRawSync(payload), encoding).items, { encoding, body: payload, deflated: true });
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

  private applySpans(spans: Span[], body: RawBody): StoreChange {
    return this.applyRows(indexRows(spans, this.options.prices), body);
  }

  private applyRows(rows: IndexRow[], body: RawBody): StoreChange {
    const { inserted, traceIds } = this.tables.insertRows(rows, body);
    return { spans: inserted, logs: 0, traceIds, deletedTraceIds: [], cleared: false };
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
    if (this.journal) this.journalAppend(kind, typeof payload === 'function' ? payload() : payload);
    if (change.spans || change.logs || change.cleared || change.deletedTraceIds.length || change.traceIds.length) this.changes.fire(change);
    if (change.spans) this.scheduleRetention();
    return change;
  }

  /**
   * Stores spans (duplicates of a stored trace and span id are ignored); returns how many were
   * new. With `raw`, the spans must be what that body decodes to: the body is what is kept.
   */
  addSpans(spans: Span[], raw?: RawBody): number {
    if (spans.length === 0) return 0;
    let body = raw;
    let items = spans;
    if (!body) {
      body = asBody(spans);
      items = decodeTraces(body.body, 'json').items;
    }
    return this.change(journalKind(body), body.body, () => this.applySpans(items, body)).spans;
  }

  /**
   * Stores a request body's spans given as index rows, made elsewhere (the receiver's thread)
   * with indexRows() from what the body decodes to. Returns how many were new.
   */
  addRows(rows: IndexRow[], raw: RawBody): number {
    if (rows.length === 0) return 0;
    return this.change(journalKind(raw), raw.body, () => this.applyRows(rows, raw)).spans;
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

  /** Writes buffered journal records now. */
  flush(): void {
    this.journal?.flush();
  }

  /** Writes a whole snapshot and starts a new journal. */
  checkpoint(): Promise<void> {
    const file = this.options.path;
    if (!file || this.options.readOnly) return Promise.resolve();
    this.checkpointing ??= (async () => {
      const epoch = this.epoch + 1;
      this.db.run(`UPDATE meta SET value = ? WHERE key = 'epoch'`, [String(epoch)]);
      // export() closes and reopens the database, which frees prepared statements.
      this.tables.freeStatements();
      const bytes = this.db.export();
      this.db.exec(CONNECTION_PRAGMAS); // export() reopened the connection
      const previous = this.journal;
      this.journal = new Journal(journalPath(file, epoch), (e) => this.writeFailed(e));
      previous?.close(false);
      this.epoch = epoch;
      try {
        await writeSnapshot(file, bytes);
        this.snapshotBytes = bytes.length;
        for (const j of listJournals(file)) if (j.epoch < epoch) removeQuietly(j.path);
      } catch (err) {
        this.writeFailed(err as Error);
      }
    })().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    if (this.checkpointing) await this.checkpointing;
    if (this.options.path && !this.options.readOnly) await this.checkpoint();
    this.closed = true;
    this.journal?.close();
    this.journal = undefined;
    this.changes.dispose();
    this.db.close();
  }

  private journalAppend(kind: RecordKind, payload: Uint8Array): void {
    if (!this.journal) return;
    this.journal.append(kind, payload);
    const threshold = Math.max(this.options.checkpointMinBytes ?? 64 * 1024 * 1024, this.snapshotBytes);
    if (this.journal.size > threshold && !this.checkpointing) void this.checkpoint();
  }

  private writeFailed(err: Error): void {
    this.options.onWarning?.(`Spans could not be written to disk (${err.message}); they are kept in memory until the next successful write.`);
  }
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

function unreadable(file: string, err: Error, options: StoreOptions): undefined {
  if (options.readOnly) throw new StoreError(`${file} cannot be read (${err.message}). Check its permissions.`);
  const aside = moveAside(file);
  options.onWarning?.(`The trace database ${file} could not be read (${err.message}); it was moved to ${aside} and a new one was started.`);
  return undefined;
}
