/**
 * The span store: SQLite (sql.js, in memory) made durable by a snapshot file and a journal.
 *
 * Persistence protocol. Every batch is appended to `NAME-journal-EPOCH` as it is stored (raw
 * OTLP bodies are journaled as received, so persisting costs no encoding). When the journal has
 * grown past the snapshot's size, a checkpoint bumps the epoch, exports the database, writes it
 * to a temporary file and renames it over `NAME`, then deletes older journals; batches during
 * the write go to the new epoch's journal. Opening replays every journal whose epoch is not
 * older than the snapshot's. So the cost per batch is its own size, a checkpoint's cost is
 * amortised over as many bytes as it writes, and a kill at any moment leaves files that open.
 */
import { readFileSync, existsSync } from 'node:fs';
import type { Database, SqlValue, Statement } from 'sql.js';
import { Emitter } from '../events.js';
import { durationMs, type LogRecord, type Resource, type Scope, type Span } from '../model.js';
import { decodeLogs, decodeTraces } from '../otlp/decode.js';
import { journalPath, listJournals, moveAside, removeQuietly, writeSnapshot } from './files.js';
import { Journal, RecordKind, readJournal } from './journal.js';
import { type LogRow, type SpanRow, logFromRow, padNs, serviceOf, spanExtra, spanFromRow, unpadNs } from './rows.js';
import { CREATE_SCHEMA, INSERT_LOG, INSERT_SPAN, SCHEMA_VERSION, SPAN_COLUMNS, UPSERT_TRACE } from './schema.js';
import { loadSqlJs } from './sqlite.js';

export class StoreError extends Error {
  override readonly name = 'StoreError';
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
}

/** Where the raw body of a batch came from, so the journal can keep it as it is. */
export interface RawBody {
  encoding: 'protobuf' | 'json';
  body: Uint8Array;
}

export interface TraceSummary {
  traceId: string;
  name: string;
  service: string;
  spanCount: number;
  errorCount: number;
  startTimeUnixNano: string;
  durationMs: number;
}

export interface StoreChange {
  spans: number;
  logs: number;
  traceIds: string[];
  cleared: boolean;
}

interface Statements {
  span: Statement;
  trace: Statement;
  log: Statement;
}

interface TraceDelta {
  rootName: string | null;
  firstName: string;
  service: string;
  count: number;
  errors: number;
  start: string;
  end: string;
}

export class SpanStore {
  private readonly changes = new Emitter<StoreChange>();
  /** Fired after each stored batch and after clear. */
  readonly onDidChange = this.changes.event;

  private stmts: Statements | undefined;
  private readonly resourceIds = new Map<string, number>();
  private readonly resourcesById = new Map<number, Resource>();
  private readonly scopeIds = new Map<string, number>();
  private readonly scopesById = new Map<number, Scope>();
  // Spans of one OTLP ResourceSpans share one object: identity spares a JSON.stringify per span.
  private resourceIdByObject = new WeakMap<Resource, number>();
  private scopeIdByObject = new WeakMap<Scope, number>();
  private journal: Journal | undefined;
  private checkpointing: Promise<void> | undefined;
  private snapshotBytes = 0;
  private spanTotal = 0;
  private closed = false;

  private constructor(
    private db: Database,
    private epoch: number,
    private readonly options: StoreOptions,
  ) {}

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
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') bytes = unreadable(file, err as Error, options);
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
    db.exec(CREATE_SCHEMA);
    db.run(`INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('epoch', ?)`, [String(SCHEMA_VERSION), String(epoch)]);
    const store = new SpanStore(db, epoch, options);
    store.snapshotBytes = bytes?.length ?? 0;
    store.loadLookups();
    if (file) await store.recover(file, replayAll);
    return store;
  }

  /** Replays journals newer than the snapshot; a writable store then checkpoints to start clean. */
  private async recover(file: string, replayAll: boolean): Promise<void> {
    const journals = listJournals(file).filter((j) => replayAll || j.epoch >= this.epoch);
    for (const j of journals) {
      const { records, corruptTail } = readJournal(j.path);
      for (const r of records) this.replay(r.kind, r.payload);
      if (corruptTail) this.options.onWarning?.(`The end of ${j.path} was incomplete (the process stopped mid-write); the records before it were recovered.`);
    }
    if (this.options.readOnly) return;
    this.epoch = Math.max(this.epoch, ...journals.map((j) => j.epoch));
    if (journals.length > 0 || !existsSync(file)) await this.checkpoint();
    else this.journal = new Journal(journalPath(file, this.epoch), (e) => this.writeFailed(e));
  }

  private replay(kind: RecordKind, payload: Buffer): void {
    switch (kind) {
      case RecordKind.TracesProtobuf:
      case RecordKind.TracesJson:
        this.insertSpans(decodeTraces(payload, kind === RecordKind.TracesJson ? 'json' : 'protobuf').items);
        break;
      case RecordKind.LogsProtobuf:
      case RecordKind.LogsJson:
        this.insertLogs(decodeLogs(payload, kind === RecordKind.LogsJson ? 'json' : 'protobuf').items);
        break;
      case RecordKind.SpansInternal:
        this.insertSpans(JSON.parse(payload.toString('utf8')) as Span[]);
        break;
      case RecordKind.LogsInternal:
        this.insertLogs(JSON.parse(payload.toString('utf8')) as LogRecord[]);
        break;
      case RecordKind.Clear:
        this.deleteAll();
        break;
      default:
        throw new StoreError(`unknown journal record kind ${kind as number}`);
    }
  }

  /** Stores spans (duplicates of a stored trace and span id are ignored); returns how many were new. */
  addSpans(spans: Span[], raw?: RawBody): number {
    this.assertWritable();
    const inserted = this.insertSpans(spans);
    const kind = raw ? (raw.encoding === 'json' ? RecordKind.TracesJson : RecordKind.TracesProtobuf) : RecordKind.SpansInternal;
    this.journalAppend(kind, raw?.body ?? Buffer.from(JSON.stringify(spans)));
    return inserted;
  }

  addLogs(logs: LogRecord[], raw?: RawBody): number {
    this.assertWritable();
    const inserted = this.insertLogs(logs);
    const kind = raw ? (raw.encoding === 'json' ? RecordKind.LogsJson : RecordKind.LogsProtobuf) : RecordKind.LogsInternal;
    this.journalAppend(kind, raw?.body ?? Buffer.from(JSON.stringify(logs)));
    return inserted;
  }

  clear(): void {
    this.assertWritable();
    this.deleteAll();
    this.journalAppend(RecordKind.Clear, Buffer.alloc(0));
  }

  get spanCount(): number {
    return this.spanTotal;
  }

  /** Traces, newest first. */
  listTraces(limit = 1000, offset = 0): TraceSummary[] {
    const rows = this.all(
      `SELECT trace_id, COALESCE(root_name, first_name), service, span_count, error_count, start_ns, end_ns
       FROM traces ORDER BY start_ns DESC, trace_id LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    return rows.map((r) => ({
      traceId: r[0] as string,
      name: r[1] as string,
      service: r[2] as string,
      spanCount: r[3] as number,
      errorCount: r[4] as number,
      startTimeUnixNano: unpadNs(r[5] as string),
      durationMs: durationMs(r[5] as string, r[6] as string),
    }));
  }

  hasTrace(traceId: string): boolean {
    return this.all(`SELECT 1 FROM traces WHERE trace_id = ?`, [traceId]).length > 0;
  }

  /** One trace's spans in start order. */
  getTrace(traceId: string): Span[] {
    const rows = this.all(`SELECT ${SPAN_COLUMNS} FROM spans s WHERE s.trace_id = ? ORDER BY s.start_ns, s.span_id`, [traceId]);
    return rows.map((r) => this.spanFrom(r as SpanRow));
  }

  /** Spans overlapping [startNs, endNs), in start order. */
  spansInWindow(startNs: string, endNs: string, limit = 10000): Span[] {
    const rows = this.all(
      `SELECT ${SPAN_COLUMNS} FROM spans s WHERE s.start_ns < ? AND s.end_ns > ? ORDER BY s.start_ns LIMIT ?`,
      [padNs(endNs), padNs(startNs), limit],
    );
    return rows.map((r) => this.spanFrom(r as SpanRow));
  }

  /** Log records of a trace (GenAI content often arrives as log events), joined by trace and span id. */
  logsForTrace(traceId: string): LogRecord[] {
    const rows = this.all(
      `SELECT trace_id, span_id, time_ns, observed_ns, severity_number, severity_text, event_name, body, attributes, resource_id, scope_id, extra
       FROM logs WHERE trace_id = ? ORDER BY time_ns, id`,
      [traceId],
    );
    return rows.map((r) => {
      const row = r as LogRow;
      return logFromRow(row, this.resourcesById.get(row[9])!, this.scopesById.get(row[10])!);
    });
  }

  countLogs(): number {
    return this.all(`SELECT COUNT(*) FROM logs`)[0]![0] as number;
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
      this.stmts?.span.free();
      this.stmts?.trace.free();
      this.stmts?.log.free();
      this.stmts = undefined;
      const bytes = this.db.export();
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
    if (this.checkpointing) await this.checkpointing;
    if (this.options.path && !this.options.readOnly) await this.checkpoint();
    this.closed = true;
    this.journal?.close();
    this.journal = undefined;
    this.changes.dispose();
    this.db.close();
  }

  private assertWritable(): void {
    if (this.options.readOnly) throw new StoreError('this store was opened read-only');
    if (this.closed) throw new StoreError('this store is closed');
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

  private statements(): Statements {
    this.stmts ??= { span: this.db.prepare(INSERT_SPAN), trace: this.db.prepare(UPSERT_TRACE), log: this.db.prepare(INSERT_LOG) };
    return this.stmts;
  }

  private insertSpans(spans: Span[]): number {
    if (spans.length === 0) return 0;
    const { span: insert, trace: upsert } = this.statements();
    const deltas = new Map<string, TraceDelta>();
    let inserted = 0;
    this.db.run('BEGIN');
    try {
      for (const s of spans) {
        const start = padNs(s.startTimeUnixNano);
        const end = padNs(s.endTimeUnixNano);
        const resourceId = this.resourceId(s.resource);
        insert.run([
          s.traceId, s.spanId, s.parentSpanId, s.name, s.kind, start, end,
          durationMs(s.startTimeUnixNano, s.endTimeUnixNano),
          s.status.code === 'error' ? 2 : s.status.code === 'ok' ? 1 : 0,
          s.status.message, resourceId, this.scopeId(s.scope), JSON.stringify(s.attributes),
          s.events.length ? JSON.stringify(s.events) : null,
          s.links.length ? JSON.stringify(s.links) : null,
          spanExtra(s),
        ]);
        if (this.db.getRowsModified() === 0) continue;
        inserted++;
        const isRoot = s.parentSpanId === '';
        const d = deltas.get(s.traceId);
        const errors = s.status.code === 'error' ? 1 : 0;
        if (!d) {
          deltas.set(s.traceId, { rootName: isRoot ? s.name : null, firstName: s.name, service: serviceOf(s.resource), count: 1, errors, start, end });
          continue;
        }
        d.count++;
        d.errors += errors;
        if (start < d.start) d.start = start;
        if (end > d.end) d.end = end;
        if (isRoot && d.rootName === null) {
          d.rootName = s.name;
          d.service = serviceOf(s.resource);
        }
      }
      for (const [traceId, d] of deltas) {
        upsert.run([traceId, d.rootName, d.firstName, d.service, d.count, d.errors, d.start, d.end]);
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.spanTotal += inserted;
    if (inserted > 0) this.changes.fire({ spans: inserted, logs: 0, traceIds: [...deltas.keys()], cleared: false });
    return inserted;
  }

  private insertLogs(logs: LogRecord[]): number {
    if (logs.length === 0) return 0;
    const { log: insert } = this.statements();
    this.db.run('BEGIN');
    try {
      for (const l of logs) {
        const extra = l.droppedAttributesCount || l.flags ? JSON.stringify({ droppedAttributesCount: l.droppedAttributesCount, flags: l.flags }) : null;
        insert.run([
          l.traceId, l.spanId, padNs(l.timeUnixNano), padNs(l.observedTimeUnixNano), l.severityNumber, l.severityText,
          l.eventName, JSON.stringify(l.body), JSON.stringify(l.attributes), this.resourceId(l.resource), this.scopeId(l.scope), extra,
        ]);
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    const traceIds = [...new Set(logs.map((l) => l.traceId).filter(Boolean))];
    this.changes.fire({ spans: 0, logs: logs.length, traceIds, cleared: false });
    return logs.length;
  }

  private deleteAll(): void {
    this.db.exec('DELETE FROM spans; DELETE FROM traces; DELETE FROM logs;');
    this.spanTotal = 0;
    this.changes.fire({ spans: 0, logs: 0, traceIds: [], cleared: true });
  }

  private resourceId(r: Resource): number {
    let id = this.resourceIdByObject.get(r);
    if (id !== undefined) return id;
    const json = JSON.stringify(r);
    id = this.resourceIds.get(json);
    if (id === undefined) {
      this.db.run(`INSERT INTO resources (json, service) VALUES (?, ?)`, [json, serviceOf(r)]);
      id = this.all(`SELECT last_insert_rowid()`)[0]![0] as number;
      this.resourceIds.set(json, id);
      this.resourcesById.set(id, r);
    }
    this.resourceIdByObject.set(r, id);
    return id;
  }

  private scopeId(s: Scope): number {
    let id = this.scopeIdByObject.get(s);
    if (id !== undefined) return id;
    const json = JSON.stringify(s);
    id = this.scopeIds.get(json);
    if (id === undefined) {
      this.db.run(`INSERT INTO scopes (json) VALUES (?)`, [json]);
      id = this.all(`SELECT last_insert_rowid()`)[0]![0] as number;
      this.scopeIds.set(json, id);
      this.scopesById.set(id, s);
    }
    this.scopeIdByObject.set(s, id);
    return id;
  }

  private loadLookups(): void {
    for (const [id, json] of this.all(`SELECT id, json FROM resources`)) {
      this.resourceIds.set(json as string, id as number);
      this.resourcesById.set(id as number, JSON.parse(json as string) as Resource);
    }
    for (const [id, json] of this.all(`SELECT id, json FROM scopes`)) {
      this.scopeIds.set(json as string, id as number);
      this.scopesById.set(id as number, JSON.parse(json as string) as Scope);
    }
    this.spanTotal = this.all(`SELECT COUNT(*) FROM spans`)[0]![0] as number;
  }

  private spanFrom(row: SpanRow): Span {
    return spanFromRow(row, this.resourcesById.get(row[9])!, this.scopesById.get(row[10])!);
  }

  private all(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const stmt = this.db.prepare(sql);
    try {
      stmt.bind(params);
      const rows: SqlValue[][] = [];
      while (stmt.step()) rows.push(stmt.get());
      return rows;
    } finally {
      stmt.free();
    }
  }
}

function readEpoch(db: Database): number {
  const res = db.exec(`SELECT value FROM meta WHERE key = 'epoch'`);
  const value = res[0]?.values[0]?.[0];
  if (value === undefined) throw new StoreError('no Spanlens metadata');
  return Number(value);
}

function unreadable(file: string, err: Error, options: StoreOptions): undefined {
  if (options.readOnly) throw new StoreError(`${file} cannot be read (${err.message}). Check its permissions.`);
  const aside = moveAside(file);
  options.onWarning?.(`The trace database ${file} could not be read (${err.message}); it was moved to ${aside} and a new one was started.`);
  return undefined;
}
