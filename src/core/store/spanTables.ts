/**
 * The SQL side of the store: inserts with per-trace and per-run aggregates, the queries the
 * views need, deletes and pins. No files here; spanStore.ts makes it durable.
 */
import { inflateRawSync } from 'node:zlib';
import type { Database, SqlValue, Statement } from 'sql.js';
import { type AttrValue, type Attributes, durationMs, type LogRecord, type Resource, type Scope, type Span } from '../model.js';
import { decodeTraces } from '../otlp/decode.js';
import { type LogRow, logFromRow, padNs, serviceOf, unpadNs } from './rows.js';
import type { IndexRow } from './indexRow.js';
import { DEFAULT_QUIET_GAP_MS, type RunKey, implicitRunId } from './runs.js';
import { INSERT_BODY, INSERT_LOG, TRACE_COLUMNS, UPSERT_TRACE, insertSpansSql } from './schema.js';

export interface TraceSummary {
  traceId: string;
  name: string;
  service: string;
  spanCount: number;
  errorCount: number;
  startTimeUnixNano: string;
  durationMs: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when no call's cost is known, or when any call's model has no price. */
  costUsd: number | null;
  runId: string;
  pinned: boolean;
  /** Spans of this trace not stored because it reached the per-trace limit; absent when none. */
  truncatedSpans?: number;
}

export interface RunSummary {
  runId: string;
  service: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  traceCount: number;
  pinned: boolean;
  /** True when the app named the run (`spanlens.run.id`), false when grouped by instance and time. */
  explicit: boolean;
}

export interface TablesOptions {
  quietGapMs?: number;
  /** Spans stored per trace at most; those past it are counted in traces.truncated_spans. */
  maxSpansPerTrace?: number;
}

interface Statements {
  span: Statement;
  spanChunk: Statement;
  owner: Statement;
  body: Statement;
  trace: Statement;
  log: Statement;
  traceRun: Statement;
  traceSpans: Statement;
  truncate: Statement;
  latestRun: Statement;
  upsertRun: Statement;
}

/** Rows stored once each by value (resources, scopes) and referred to by id. */
class Interned<T extends object> {
  private readonly ids = new Map<string, number>();
  readonly byId = new Map<number, T>();
  // Records of one OTLP request share one object: identity spares a JSON.stringify per record.
  private readonly byObject = new WeakMap<T, number>();

  constructor(
    rows: SqlValue[][],
    private readonly insert: (json: string, value: T) => number,
  ) {
    for (const [id, json] of rows) {
      this.ids.set(json as string, id as number);
      this.byId.set(id as number, JSON.parse(json as string) as T);
    }
  }

  idOf(value: T): number {
    let id = this.byObject.get(value);
    if (id !== undefined) return id;
    const json = JSON.stringify(value);
    id = this.ids.get(json);
    if (id === undefined) {
      id = this.insert(json, value);
      this.ids.set(json, id);
      this.byId.set(id, value);
    }
    this.byObject.set(value, id);
    return id;
  }
}

interface DeleteStatements {
  bodiesOf: Statement;
  liveOf: Statement;
  countDown: Statement;
  spans: Statement;
  logs: Statement;
  trace: Statement;
  form: Statement;
  body: Statement;
}

/** An OTLP trace request body as stored: the spans it decodes to are the stored spans. */
export interface TraceBody {
  encoding: 'protobuf' | 'json';
  body: Uint8Array;
  deflated?: boolean;
}

/** Stored body formats: 1/2 as received, 3/4 raw-deflate compressed. */
const ENCODING = { protobuf: 1, json: 2 } as const;
const DEFLATED = 2;
/** Span rows per INSERT statement (14 values each, well under SQLite's 32766 variables). */
const CHUNK = 64;
const BODY_CACHE_SIZE = 16;
/** Bodies a text search reads at most (newest first): a few seconds of decoding in the worker. */
const SEARCH_MAX_BODIES = 20_000;

interface TraceDelta {
  rootName: string | null;
  firstName: string;
  service: string;
  run: RunKey;
  count: number;
  errors: number;
  start: string;
  end: string;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  costUnknown: number;
}

export class SpanTables {
  private stmts: Statements | undefined;
  private readonly resources: Interned<Resource>;
  private readonly scopes: Interned<Scope>;
  /** Recently decoded bodies, by id: a trace's spans usually sit in a few of them. */
  private readonly bodyCache = new Map<number, Span[]>();
  private readonly tailStatements = new Map<number, Statement>();
  private deletes: DeleteStatements | undefined;
  spanCount = 0;
  private current: Database;

  constructor(
    db: Database,
    private options: TablesOptions = {},
  ) {
    this.current = db;
    this.resources = new Interned(this.all(`SELECT id, json FROM resources`), (json, r) => {
      this.db.run(`INSERT INTO resources (json, service) VALUES (?, ?)`, [json, serviceOf(r)]);
      return this.lastRowId();
    });
    this.scopes = new Interned(this.all(`SELECT id, json FROM scopes`), (json) => {
      this.db.run(`INSERT INTO scopes (json) VALUES (?)`, [json]);
      return this.lastRowId();
    });
    this.spanCount = this.scalar(`SELECT COUNT(*) FROM spans`) as number;
  }

  get db(): Database {
    return this.current;
  }

  configure(options: TablesOptions): void {
    this.options = options;
  }

  /**
   * Goes on with `db`, a copy of this database in another sql.js instance (a compaction). Row ids
   * of resources and scopes are kept by the copy (they are the tables' INTEGER PRIMARY KEYs), so
   * what is interned stays valid; statements are prepared again there.
   */
  moveTo(db: Database): void {
    this.freeStatements();
    this.bodyCache.clear();
    this.current = db;
  }

  /** Prepared statements are freed by Database.export(); call before it. */
  freeStatements(): void {
    for (const s of Object.values(this.deletes ?? {})) s.free();
    this.deletes = undefined;
    for (const s of this.tailStatements.values()) s.free();
    this.tailStatements.clear();
    if (!this.stmts) return;
    for (const s of Object.values(this.stmts)) s.free();
    this.stmts = undefined;
  }

  private statements(): Statements {
    this.stmts ??= {
      span: this.db.prepare(insertSpansSql(1)),
      spanChunk: this.db.prepare(insertSpansSql(CHUNK)),
      owner: this.db.prepare(`SELECT body_id, body_index FROM spans WHERE trace_id = ? AND span_id = ?`),
      body: this.db.prepare(INSERT_BODY),
      trace: this.db.prepare(UPSERT_TRACE),
      log: this.db.prepare(INSERT_LOG),
      traceRun: this.db.prepare(`SELECT run_id FROM traces WHERE trace_id = ?`),
      traceSpans: this.db.prepare(`SELECT span_count, truncated_spans FROM traces WHERE trace_id = ?`),
      truncate: this.db.prepare(`UPDATE traces SET truncated_spans = truncated_spans + ? WHERE trace_id = ?`),
      latestRun: this.db.prepare(`SELECT run_id, start_ns, end_ns FROM runs WHERE run_key = ? AND explicit = 0 ORDER BY end_ns DESC LIMIT 1`),
      upsertRun: this.db.prepare(
        `INSERT INTO runs (run_id, run_key, service, start_ns, end_ns, explicit) VALUES (?,?,?,?,?,?)
         ON CONFLICT(run_id) DO UPDATE SET start_ns = MIN(runs.start_ns, excluded.start_ns), end_ns = MAX(runs.end_ns, excluded.end_ns)`,
      ),
    };
    return this.stmts;
  }

  /**
   * Inserts the spans of one body (ignoring a trace and span id seen before), given as their
   * index rows in the order the body decodes to. Spans past the per-trace limit are counted on
   * their trace instead. Returns the new count, the traces touched, the spans over the limit and
   * the traces that reached it with this body.
   */
  insertRows(rows: IndexRow[], body: TraceBody): { inserted: number; traceIds: string[]; truncated: number; newlyTruncated: string[] } {
    if (rows.length === 0) return { inserted: 0, traceIds: [], truncated: 0, newlyTruncated: [] };
    const { body: insertBody, trace: upsert, truncate } = this.statements();
    const deltas = new Map<string, TraceDelta>();
    let inserted = 0;
    let truncated = 0;
    const newlyTruncated: string[] = [];
    const over = this.overLimit(rows);
    this.db.run('BEGIN');
    try {
      insertBody.run([ENCODING[body.encoding] + (body.deflated ? DEFLATED : 0), body.body]);
      const bodyId = this.lastRowId();
      const fresh = this.insertChunks(rows, bodyId, over?.keep);
      for (let i = 0; i < rows.length; i++) {
        if (!fresh[i]) continue;
        const r = rows[i]!;
        const call = r.call;
        inserted++;
        let d = deltas.get(r.traceId);
        if (!d) {
          d = { rootName: null, firstName: r.name, service: r.service, run: r.run, count: 0, errors: 0, start: r.start, end: r.end, llmCalls: 0, inputTokens: 0, outputTokens: 0, cost: 0, costUnknown: 0 };
          deltas.set(r.traceId, d);
        }
        d.count++;
        if (r.status === 2) d.errors++;
        if (r.start < d.start) d.start = r.start;
        if (r.end > d.end) d.end = r.end;
        if (r.parentSpanId === '' && d.rootName === null) {
          d.rootName = r.name;
          d.service = r.service;
        }
        if (call) {
          d.llmCalls++;
          d.inputTokens += call.inputTokens ?? 0;
          d.outputTokens += call.outputTokens ?? 0;
          if (call.costUsd !== null) d.cost += call.costUsd;
          else if (call.inputTokens !== null || call.outputTokens !== null) d.costUnknown++;
        }
      }
      // A body whose spans were all stored before (an exporter retry) is not kept.
      if (inserted === 0) this.db.run(`DELETE FROM bodies WHERE id = ?`, [bodyId]);
      else this.db.run(`UPDATE bodies SET live = ? WHERE id = ?`, [inserted, bodyId]);
      for (const [traceId, d] of deltas) {
        const runId = this.runFor(traceId, d);
        upsert.run([traceId, d.rootName, d.firstName, d.service, d.count, d.errors, d.start, d.end, d.llmCalls, d.inputTokens, d.outputTokens, d.cost, d.costUnknown, runId]);
      }
      for (const [traceId, { dropped, before }] of over?.dropped ?? []) {
        if (dropped === 0) continue;
        truncate.run([dropped, traceId]);
        truncated += dropped;
        if (before === 0) newlyTruncated.push(traceId);
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.spanCount += inserted;
    // A trace whose spans were all over the limit changed too (its count of those).
    const traceIds = truncated ? [...new Set([...deltas.keys(), ...over!.dropped.keys()])] : [...deltas.keys()];
    return { inserted, traceIds, truncated, newlyTruncated };
  }

  /**
   * Which rows fit under the per-trace limit, or undefined when all do (the common case, which
   * costs one lookup per trace of the body). Rows past it that are not a retry of a stored span
   * are counted per trace, with the count the trace had before.
   */
  private overLimit(rows: IndexRow[]): { keep: Uint8Array; dropped: Map<string, { dropped: number; before: number }> } | undefined {
    const limit = this.options.maxSpansPerTrace;
    if (!limit || limit <= 0) return undefined;
    const perTrace = new Map<string, number>();
    for (const r of rows) perTrace.set(r.traceId, (perTrace.get(r.traceId) ?? 0) + 1);
    const { traceSpans, owner } = this.statements();
    const room = new Map<string, number>();
    const truncatedBefore = new Map<string, number>();
    let anyOver = false;
    for (const [traceId, incoming] of perTrace) {
      traceSpans.bind([traceId]);
      const row = traceSpans.step() ? traceSpans.get() : undefined;
      traceSpans.reset();
      const stored = (row?.[0] as number | undefined) ?? 0;
      room.set(traceId, limit - stored);
      truncatedBefore.set(traceId, (row?.[1] as number | undefined) ?? 0);
      if (stored + incoming > limit) anyOver = true;
    }
    if (!anyOver) return undefined;
    const keep = new Uint8Array(rows.length);
    const dropped = new Map<string, { dropped: number; before: number }>();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const left = room.get(r.traceId)!;
      if (left > 0) {
        keep[i] = 1;
        room.set(r.traceId, left - 1);
        continue;
      }
      let entry = dropped.get(r.traceId);
      if (!entry) dropped.set(r.traceId, (entry = { dropped: 0, before: truncatedBefore.get(r.traceId)! }));
      // A span stored before (an exporter retry) is not lost: do not count it.
      owner.bind([r.traceId, r.spanId]);
      const seen = owner.step();
      owner.reset();
      if (!seen) entry.dropped++;
    }
    return { keep, dropped };
  }

  /**
   * Inserts rows CHUNK at a time (one statement per chunk spares most of sql.js's per-call
   * cost) and says which were new. A chunk that stored fewer rows than it had (a retry sent
   * spans again) is resolved row by row: a row is new when it points at this body. With `keep`,
   * only the rows it marks are inserted (each keeps its index in the body).
   */
  private insertChunks(rows: IndexRow[], bodyId: number, keep?: Uint8Array): boolean[] {
    const fresh: boolean[] = new Array(rows.length).fill(false);
    const values = (r: IndexRow, i: number): SqlValue[] => {
      const call = r.call;
      return [r.traceId, r.spanId, r.parentSpanId, r.name, r.start, r.end, r.status, r.category, call?.model ?? null, call?.inputTokens ?? null, call?.outputTokens ?? null, call?.costUsd ?? null, bodyId, i];
    };
    let indexes: number[] | undefined;
    if (keep) {
      indexes = [];
      for (let i = 0; i < rows.length; i++) if (keep[i]) indexes.push(i);
    }
    const total = indexes ? indexes.length : rows.length;
    const at = (k: number): number => (indexes ? indexes[k]! : k);
    for (let start = 0; start < total; start += CHUNK) {
      const count = Math.min(CHUNK, total - start);
      const params: SqlValue[] = [];
      for (let k = start; k < start + count; k++) params.push(...values(rows[at(k)]!, at(k)));
      this.chunkStatement(count).run(params);
      if (this.db.getRowsModified() === count) {
        for (let k = start; k < start + count; k++) fresh[at(k)] = true;
        continue;
      }
      const { owner } = this.statements();
      for (let k = start; k < start + count; k++) {
        const i = at(k);
        owner.bind([rows[i]!.traceId, rows[i]!.spanId]);
        fresh[i] = owner.step() && owner.get()[0] === bodyId && owner.get()[1] === i;
        owner.reset();
      }
    }
    return fresh;
  }

  private chunkStatement(rows: number): Statement {
    const { span, spanChunk } = this.statements();
    if (rows === 1) return span;
    if (rows === CHUNK) return spanChunk;
    // The last, shorter chunk of a batch: prepared on demand, freed with the others.
    let stmt = this.tailStatements.get(rows);
    if (!stmt) this.tailStatements.set(rows, (stmt = this.db.prepare(insertSpansSql(rows))));
    return stmt;
  }

  private lastRowId(): number {
    return this.scalar(`SELECT last_insert_rowid()`) as number;
  }

  /** The run of a trace: the one it already has, else the one its resource names or groups it into. */
  private runFor(traceId: string, d: TraceDelta): string {
    const { traceRun } = this.statements();
    traceRun.bind([traceId]);
    const existing = traceRun.step() ? (traceRun.get()[0] as string) : undefined;
    traceRun.reset();
    const { explicit, key, service } = d.run;
    let runId = existing ?? explicit;
    if (!runId) {
      const gapNs = BigInt(this.options.quietGapMs ?? DEFAULT_QUIET_GAP_MS) * 1_000_000n;
      const { latestRun } = this.statements();
      latestRun.bind([key]);
      const latest = latestRun.step() ? latestRun.get() : undefined;
      latestRun.reset();
      const joins = latest && BigInt(d.start) <= BigInt(latest[2] as string) + gapNs && BigInt(d.end) + gapNs >= BigInt(latest[1] as string);
      runId = joins ? (latest[0] as string) : implicitRunId(key, d.start);
    }
    this.statements().upsertRun.run([runId, key, service, d.start, d.end, explicit ? 1 : 0]);
    return runId;
  }

  insertLogs(logs: LogRecord[]): number {
    if (logs.length === 0) return 0;
    const { log: insert } = this.statements();
    this.db.run('BEGIN');
    try {
      for (const l of logs) {
        const extra = l.droppedAttributesCount || l.flags ? JSON.stringify({ droppedAttributesCount: l.droppedAttributesCount, flags: l.flags }) : null;
        insert.run([
          l.traceId, l.spanId, padNs(l.timeUnixNano), padNs(l.observedTimeUnixNano), l.severityNumber, l.severityText,
          l.eventName, JSON.stringify(l.body), JSON.stringify(l.attributes), this.resources.idOf(l.resource), this.scopes.idOf(l.scope), extra,
        ]);
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    return logs.length;
  }

  listTraces(limit: number, offset: number, runId?: string): TraceSummary[] {
    const where = runId === undefined ? '' : 'WHERE t.run_id = ?';
    const params: SqlValue[] = runId === undefined ? [limit, offset] : [runId, limit, offset];
    return this.all(`SELECT ${TRACE_COLUMNS} FROM traces t ${where} ORDER BY t.start_ns DESC, t.trace_id LIMIT ? OFFSET ?`, params).map(traceFrom);
  }

  traceSummary(traceId: string): TraceSummary | undefined {
    const row = this.all(`SELECT ${TRACE_COLUMNS} FROM traces t WHERE t.trace_id = ?`, [traceId])[0];
    return row ? traceFrom(row) : undefined;
  }

  listRuns(): RunSummary[] {
    return this.all(
      `SELECT r.run_id, r.service, r.start_ns, r.end_ns, (SELECT COUNT(*) FROM traces t WHERE t.run_id = r.run_id), r.pinned, r.explicit
       FROM runs r ORDER BY r.start_ns DESC`,
    ).map((r) => ({
      runId: r[0] as string,
      service: r[1] as string,
      startTimeUnixNano: unpadNs(r[2] as string),
      endTimeUnixNano: unpadNs(r[3] as string),
      traceCount: r[4] as number,
      pinned: r[5] === 1,
      explicit: r[6] === 1,
    }));
  }

  /** A trace's spans by start time, then span id. */
  getTrace(traceId: string): Span[] {
    // One row per body rather than per span, sorted here: a third of the time on large traces.
    const spans: Span[] = [];
    for (const [bodyId, indexes] of this.all(`SELECT body_id, group_concat(body_index) FROM spans WHERE trace_id = ? GROUP BY body_id`, [traceId])) {
      const body = this.bodySpans(bodyId as number);
      for (const i of (indexes as string).split(',')) spans.push(body[Number(i)]!);
    }
    const keyed = spans.map((s) => ({ s, key: padNs(s.startTimeUnixNano) + s.spanId }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return keyed.map((k) => k.s);
  }

  /** One span of a trace, or undefined. */
  getSpan(traceId: string, spanId: string): Span | undefined {
    return this.spansAt(this.all(`SELECT body_id, body_index FROM spans WHERE trace_id = ? AND span_id = ?`, [traceId, spanId]))[0];
  }

  spansInWindow(startNs: string, endNs: string, limit: number): Span[] {
    return this.spansAt(this.all(`SELECT body_id, body_index FROM spans WHERE start_ns < ? AND end_ns > ? ORDER BY start_ns LIMIT ?`, [padNs(endNs), padNs(startNs), limit]));
  }

  /** The spans at (body id, index) pairs, decoding each body once however many it holds. */
  private spansAt(refs: SqlValue[][]): Span[] {
    const bodies = new Map<number, Span[]>();
    return refs.map(([bodyId, index]) => {
      let spans = bodies.get(bodyId as number);
      if (!spans) bodies.set(bodyId as number, (spans = this.bodySpans(bodyId as number)));
      return spans[index as number]!;
    });
  }

  private bodySpans(id: number): Span[] {
    const cached = this.bodyCache.get(id);
    if (cached) {
      this.bodyCache.delete(id);
      this.bodyCache.set(id, cached);
      return cached;
    }
    const spans = this.decodeBody(id);
    this.bodyCache.set(id, spans);
    if (this.bodyCache.size > BODY_CACHE_SIZE) this.bodyCache.delete(this.bodyCache.keys().next().value!);
    return spans;
  }

  private decodeBody(id: number): Span[] {
    const [encoding, bytes] = this.all(`SELECT encoding, body FROM bodies WHERE id = ?`, [id])[0]!;
    const code = encoding as number;
    const raw = code > DEFLATED ? inflateRawSync(bytes as Uint8Array) : (bytes as Uint8Array);
    return decodeTraces(raw, code === ENCODING.json || code === ENCODING.json + DEFLATED ? 'json' : 'protobuf').items;
  }

  /**
   * Trace ids whose span names, status messages, attribute or event attribute values (prompts
   * and responses), or log records contain `text`, case-insensitively; at most `limit`, newest
   * bodies first. Bounded: reads at most `maxBodies` bodies (each decoded once, not cached).
   */
  searchTraces(text: string, limit: number, maxBodies = SEARCH_MAX_BODIES): string[] {
    const needle = text.trim().toLowerCase();
    if (!needle || limit <= 0) return [];
    const found = new Set<string>();
    const live = this.db.prepare(`SELECT 1 FROM traces WHERE trace_id = ?`);
    const isLive = (traceId: string): boolean => {
      live.bind([traceId]);
      const ok = live.step();
      live.reset();
      return ok;
    };
    try {
      for (const [bodyId] of this.all(`SELECT id FROM bodies WHERE live > 0 ORDER BY id DESC LIMIT ?`, [maxBodies])) {
        // A body can hold spans of traces deleted since (bodies are shared): check each hit.
        for (const span of this.decodeBody(bodyId as number)) {
          if (found.has(span.traceId) || !spanContains(span, needle) || !isLive(span.traceId)) continue;
          found.add(span.traceId);
          if (found.size >= limit) return [...found];
        }
      }
      // Content sent as log events (GenAI semconv): the stored JSON text, ASCII case folding.
      const rows = this.all(
        `SELECT DISTINCT l.trace_id FROM logs l JOIN traces t ON t.trace_id = l.trace_id
         WHERE instr(lower(l.body), ?) > 0 OR instr(lower(l.attributes), ?) > 0 LIMIT ?`,
        [needle, needle, limit],
      );
      for (const [traceId] of rows) {
        found.add(traceId as string);
        if (found.size >= limit) break;
      }
    } finally {
      live.free();
    }
    return [...found];
  }

  logsForTrace(traceId: string): LogRecord[] {
    return this.all(
      `SELECT trace_id, span_id, time_ns, observed_ns, severity_number, severity_text, event_name, body, attributes, resource_id, scope_id, extra
       FROM logs WHERE trace_id = ? ORDER BY time_ns, id`,
      [traceId],
    ).map((r) => {
      const row = r as LogRow;
      return logFromRow(row, this.resources.byId.get(row[9])!, this.scopes.byId.get(row[10])!);
    });
  }

  countLogs(): number {
    return this.scalar(`SELECT COUNT(*) FROM logs`) as number;
  }

  traceCount(): number {
    return this.scalar(`SELECT COUNT(*) FROM traces`) as number;
  }

  /** Bytes the database occupies (its pages), for the size limit. */
  byteSize(): number {
    return (this.scalar(`PRAGMA page_count`) as number) * (this.scalar(`PRAGMA page_size`) as number);
  }

  deleteAll(): void {
    this.db.exec('DELETE FROM spans; DELETE FROM bodies; DELETE FROM traces; DELETE FROM logs; DELETE FROM runs; DELETE FROM shown_forms;');
    this.bodyCache.clear();
    this.spanCount = 0;
  }

  /** Deletes traces with their spans and logs; runs left empty go too. Returns the spans removed. */
  deleteTraces(traceIds: string[]): number {
    if (traceIds.length === 0) return 0;
    const st = this.deleteStatements();
    let removed = 0;
    // Bodies are shared by the traces that arrived together: each counts its spans still stored.
    const gone = new Map<number, number>();
    const run = (stmt: Statement, params: SqlValue[]): void => void stmt.run(params);
    this.db.run('BEGIN');
    try {
      for (const id of traceIds) {
        st.bodiesOf.bind([id]);
        while (st.bodiesOf.step()) {
          const [bodyId, count] = st.bodiesOf.get() as [number, number];
          gone.set(bodyId, (gone.get(bodyId) ?? 0) + count);
        }
        st.bodiesOf.reset();
        run(st.spans, [id]);
        removed += this.db.getRowsModified();
        run(st.logs, [id]);
        run(st.trace, [id]);
        run(st.form, [id]);
      }
      // Once per body, and a body left with none is deleted without being updated first: updating
      // a row writes its blob again (counting down per trace made retention cost more than ingest).
      for (const [bodyId, count] of gone) {
        st.liveOf.bind([bodyId]);
        const live = st.liveOf.step() ? (st.liveOf.get()[0] as number) : 0;
        st.liveOf.reset();
        if (live > count) run(st.countDown, [count, bodyId]);
        else run(st.body, [bodyId]);
      }
      this.db.run(`DELETE FROM runs WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.run_id = runs.run_id)`);
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.spanCount -= removed;
    this.bodyCache.clear();
    return removed;
  }

  private deleteStatements(): DeleteStatements {
    this.deletes ??= {
      bodiesOf: this.db.prepare(`SELECT body_id, COUNT(*) FROM spans WHERE trace_id = ? GROUP BY body_id`),
      liveOf: this.db.prepare(`SELECT live FROM bodies WHERE id = ?`),
      countDown: this.db.prepare(`UPDATE bodies SET live = live - ? WHERE id = ?`),
      spans: this.db.prepare(`DELETE FROM spans WHERE trace_id = ?`),
      logs: this.db.prepare(`DELETE FROM logs WHERE trace_id = ?`),
      trace: this.db.prepare(`DELETE FROM traces WHERE trace_id = ?`),
      form: this.db.prepare(`DELETE FROM shown_forms WHERE trace_id = ?`),
      body: this.db.prepare(`DELETE FROM bodies WHERE id = ?`),
    };
    return this.deletes;
  }

  traceIdsOfRun(runId: string): string[] {
    return this.all(`SELECT trace_id FROM traces WHERE run_id = ?`, [runId]).map((r) => r[0] as string);
  }

  setPinned(what: 'run' | 'trace', id: string, pinned: boolean): void {
    if (what === 'run') this.db.run(`UPDATE runs SET pinned = ? WHERE run_id = ?`, [pinned ? 1 : 0, id]);
    else this.db.run(`UPDATE traces SET pinned = ? WHERE trace_id = ?`, [pinned ? 1 : 0, id]);
  }

  /**
   * The `excess` traces to delete first: the oldest unpinned runs that have ended, whole, then
   * the oldest traces of the runs still going.
   */
  oldestUnpinned(excess: number): string[] {
    if (excess <= 0) return [];
    // Runs still going (their last span within the quiet gap of the newest one) count as equally
    // recent, so their oldest traces go first rather than the whole of whichever run is older:
    // apps running side by side each keep their newest traces.
    const newest = this.scalar(`SELECT MAX(end_ns) FROM runs`);
    if (newest === null) return [];
    const gapNs = BigInt(this.options.quietGapMs ?? DEFAULT_QUIET_GAP_MS) * 1_000_000n;
    const current = BigInt(unpadNs(newest as string)) - gapNs;
    const cutoff = padNs((current > 0n ? current : 0n).toString());
    const rows = this.all(
      `SELECT t.trace_id FROM traces t JOIN runs r ON r.run_id = t.run_id
       WHERE t.pinned = 0 AND r.pinned = 0
       ORDER BY CASE WHEN r.end_ns >= ? THEN ? ELSE r.end_ns END, t.start_ns LIMIT ?`,
      [cutoff, cutoff, excess],
    );
    return rows.map((r) => r[0] as string);
  }

  private scalar(sql: string, params: SqlValue[] = []): SqlValue {
    return this.all(sql, params)[0]?.[0] ?? null;
  }

  all(sql: string, params: SqlValue[] = []): SqlValue[][] {
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

function traceFrom(r: SqlValue[]): TraceSummary {
  const llmCalls = r[7] as number;
  const costUnknown = r[11] as number;
  return {
    traceId: r[0] as string,
    name: r[1] as string,
    service: r[2] as string,
    spanCount: r[3] as number,
    errorCount: r[4] as number,
    startTimeUnixNano: unpadNs(r[5] as string),
    durationMs: durationMs(r[5] as string, r[6] as string),
    llmCalls,
    inputTokens: r[8] as number,
    outputTokens: r[9] as number,
    costUsd: llmCalls > 0 && costUnknown === 0 && (r[10] as number) > 0 ? Math.round((r[10] as number) * 1e9) / 1e9 : null,
    runId: r[12] as string,
    pinned: r[13] === 1,
    ...((r[14] as number) > 0 ? { truncatedSpans: r[14] as number } : {}),
  };
}

/** A span's name, status message, attribute and event values contain `needle` (lowercase). */
function spanContains(span: Span, needle: string): boolean {
  if (span.name.toLowerCase().includes(needle) || span.status.message.toLowerCase().includes(needle)) return true;
  if (valuesContain(span.attributes, needle)) return true;
  return span.events.some((e) => e.name.toLowerCase().includes(needle) || valuesContain(e.attributes, needle));
}

function valuesContain(value: AttrValue | Attributes, needle: string): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return value.toLowerCase().includes(needle);
  if (typeof value !== 'object') return String(value).includes(needle);
  if (Array.isArray(value)) return value.some((v) => valuesContain(v, needle));
  for (const key in value) if (valuesContain(value[key]!, needle)) return true;
  return false;
}
