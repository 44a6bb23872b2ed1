/** The SQLite schema of the span store. Times are zero-padded nanosecond strings, so text order is time order. */
export const SCHEMA_VERSION = 4;

/** Larger pages suit the stored request bodies; only takes effect on a new database. */
export const NEW_DATABASE_PRAGMAS = 'PRAGMA page_size = 16384;';

/**
 * The database lives in sql.js's in-memory file system and is made durable by our own journal,
 * so SQLite's rollback journal can stay in memory and nothing needs syncing; one connection
 * holds it exclusively, which spares re-reading pages. Per connection: applied again after export().
 * The page cache is small (8 MiB): a page it misses is copied from the file, which is in memory
 * too, so a larger cache only held a second copy of the database in WebAssembly memory, which
 * never shrinks (64 MiB cost 70 MiB of memory per store; ingest and view queries measured the same).
 */
export const CONNECTION_PRAGMAS = 'PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -8192;';

export const CREATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE, service TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scopes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
-- Spans are kept as the OTLP request bodies they arrived in (compact, and already journaled);
-- each span has a small row for queries and tree labels, pointing at its body and position.
-- live (spans still pointing here) comes before the blob, so reading it never walks the blob's pages.
CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, encoding INTEGER NOT NULL, live INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_ns TEXT NOT NULL,
  end_ns TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  category TEXT NOT NULL,
  model TEXT,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cost_usd REAL,
  body_id INTEGER NOT NULL,
  body_index INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS spans_by_id ON spans (trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_ns);
CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT PRIMARY KEY,
  root_name TEXT,
  first_name TEXT NOT NULL,
  service TEXT NOT NULL,
  span_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  start_ns TEXT NOT NULL,
  end_ns TEXT NOT NULL,
  llm_calls INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  cost_unknown INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0,
  -- Spans not stored because the trace reached the per-trace limit (added in place: see migrate()).
  truncated_spans INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_by_run ON traces (run_id, start_ns);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  run_key TEXT NOT NULL,
  service TEXT NOT NULL,
  start_ns TEXT NOT NULL,
  end_ns TEXT NOT NULL,
  explicit INTEGER NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_key ON runs (run_key, end_ns);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  time_ns TEXT NOT NULL,
  observed_ns TEXT NOT NULL,
  severity_number INTEGER NOT NULL,
  severity_text TEXT NOT NULL,
  event_name TEXT NOT NULL,
  body TEXT NOT NULL,
  attributes TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  extra TEXT
);
CREATE INDEX IF NOT EXISTS logs_by_span ON logs (trace_id, span_id);
-- Large traces as "spanlens show" prints them, derived from the tables above (see shownForms.ts).
CREATE TABLE IF NOT EXISTS shown_forms (trace_id TEXT PRIMARY KEY, key TEXT NOT NULL, form BLOB NOT NULL);
`;

/** INSERT of `rows` span rows in one statement. */
export function insertSpansSql(rows: number): string {
  const row = '(?,?,?,?,?,?,?,?,?,?,?,?,?,?)';
  return `INSERT OR IGNORE INTO spans VALUES ${Array.from({ length: rows }, () => row).join(',')}`;
}

export const INSERT_BODY = `INSERT INTO bodies (encoding, live, body) VALUES (?, 0, ?)`;

export const UPSERT_TRACE = `
INSERT INTO traces (trace_id, root_name, first_name, service, span_count, error_count, start_ns, end_ns,
  llm_calls, input_tokens, output_tokens, cost_usd, cost_unknown, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(trace_id) DO UPDATE SET
  root_name = COALESCE(traces.root_name, excluded.root_name),
  service = CASE WHEN traces.root_name IS NULL AND excluded.root_name IS NOT NULL THEN excluded.service ELSE traces.service END,
  span_count = traces.span_count + excluded.span_count,
  error_count = traces.error_count + excluded.error_count,
  start_ns = MIN(traces.start_ns, excluded.start_ns),
  end_ns = MAX(traces.end_ns, excluded.end_ns),
  llm_calls = traces.llm_calls + excluded.llm_calls,
  input_tokens = traces.input_tokens + excluded.input_tokens,
  output_tokens = traces.output_tokens + excluded.output_tokens,
  cost_usd = traces.cost_usd + excluded.cost_usd,
  cost_unknown = traces.cost_unknown + excluded.cost_unknown`;

export const INSERT_LOG = `INSERT INTO logs (trace_id, span_id, time_ns, observed_ns, severity_number, severity_text, event_name, body, attributes, resource_id, scope_id, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`;


export const TRACE_COLUMNS = `t.trace_id, COALESCE(t.root_name, t.first_name), t.service, t.span_count, t.error_count, t.start_ns, t.end_ns,
  t.llm_calls, t.input_tokens, t.output_tokens, t.cost_usd, t.cost_unknown, t.run_id, t.pinned, t.truncated_spans`;
