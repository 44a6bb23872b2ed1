/**
 * The headless `spanlens` command, on the same core as the extension:
 *   spanlens serve [--host 127.0.0.1] [--http-port 4318] [--grpc-port 4317] [--db FILE] [--max-body-bytes N]
 *                  [--token SECRET] [--allowed-origin ORIGIN]...
 *   spanlens show [TRACE_ID] [--db FILE] --json [--pretty | --compact] [--workspace DIR]
 *   spanlens import FILE... [--db FILE]
 *   spanlens export TRACE_ID [--db FILE] (--out FILE.json | --html FILE.html)
 */
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { ImportError, exportOtlp, importOtlp } from './core/importExport.js';
import { listJournals } from './core/store/files.js';
import { makeShownForms, shownFormJson, showTraceJson, showTraceList } from './core/views/cliViews.js';
import { WorkspaceIndex } from './core/source/workspaceIndex.js';
import { readWebviewAssets, traceHtml } from './core/views/htmlExport.js';
import { traceBundle } from './core/views/traceView.js';
import { DEFAULT_RETENTION, SpanStore, StoreError } from './core/store/spanStore.js';
import { ReceiverAccessError, accessPolicy, normalizeOrigin } from './receiver/access.js';
import type { Logger } from './receiver/sink.js';

const DEFAULT_DB = 'spanlens.db';

const USAGE = `Usage:
  spanlens serve [--host 127.0.0.1] [--http-port 4318] [--grpc-port 4317] [--db FILE] [--max-body-bytes N] [--max-traces 5000] [--max-mb 512]
                 [--token SECRET] [--allowed-origin ORIGIN]...
  spanlens show [TRACE_ID] [--db FILE] --json [--workspace DIR]
  spanlens import FILE... [--db FILE]
  spanlens export TRACE_ID [--db FILE] (--out FILE | --html FILE)
  spanlens run [--db FILE] [--workspace DIR] -- COMMAND [ARGS...]
The database defaults to ./${DEFAULT_DB}.
serve: with --token (or SPANLENS_TOKEN) every export needs "Authorization: Bearer SECRET"
(OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20SECRET); a --host other than loopback needs one.
Browser pages on loopback origins may export; --allowed-origin adds others (exact origins).
show: JSON is indented on a terminal and one line into a pipe or file, unless --pretty or --compact says.
serve prints its ports as a JSON line, and another if a lost port makes it move; it exits 1 if it cannot listen again.`;

class UsageError extends Error {}

/**
 * For the short read commands (show, export): sql.js's WebAssembly compiled by Liftoff only.
 * Otherwise V8 also compiles its hot functions with TurboFan while the command runs, which costs
 * a command of a few hundred milliseconds more than it saves on a 2-core machine: showing a
 * 10,000-span trace from its spans took 540 → 475 ms (medians, side by side). Set only on the
 * Node versions it was measured on (20 and 24): a flag V8 no longer knows would print an error.
 */
function liftoffOnly(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 20 && major <= 24) setFlagsFromString('--liftoff-only');
}

const stderrLog: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
};

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535 (0 picks a free port), got "${value}"`);
  return n;
}

function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}

async function serve(args: string[]): Promise<void> {
  // Loaded only here and in `run`: the other commands start faster without them.
  const { DEFAULT_GRPC_PORT, DEFAULT_HTTP_PORT, DEFAULT_MAX_BODY_BYTES, OtlpReceiver, StoreClient } = await import('./cliReceiver.js');
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      db: { type: 'string', default: DEFAULT_DB },
      'max-body-bytes': { type: 'string' },
      'max-traces': { type: 'string' },
      'max-mb': { type: 'string' },
      token: { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
    },
    strict: true,
    allowPositionals: false,
  });
  const maxBodyBytes = values['max-body-bytes'] === undefined ? DEFAULT_MAX_BODY_BYTES : Number(values['max-body-bytes']);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new UsageError(`--max-body-bytes must be a positive whole number`);
  const httpPort = port(values['http-port'], DEFAULT_HTTP_PORT, '--http-port');
  const grpcPort = port(values['grpc-port'], DEFAULT_GRPC_PORT, '--grpc-port');
  const retention = {
    maxTraces: positive(values['max-traces'], DEFAULT_RETENTION.maxTraces, '--max-traces'),
    maxBytes: positive(values['max-mb'], DEFAULT_RETENTION.maxBytes / 1024 / 1024, '--max-mb') * 1024 * 1024,
  };
  // The environment keeps the secret out of `ps` output and shell history.
  const token = (values.token ?? process.env.SPANLENS_TOKEN ?? '').trim();
  const allowedOrigins = values['allowed-origin'] ?? [];
  for (const origin of allowedOrigins) {
    if (!normalizeOrigin(origin)) throw new UsageError(`--allowed-origin must be an origin such as http://192.168.1.5:3000 (no path, no "*"), got "${origin}"`);
  }
  // Checked before the database opens: a refused host should leave nothing behind.
  try {
    accessPolicy({ host: values.host, token });
  } catch (err) {
    if (err instanceof ReceiverAccessError) throw new UsageError(err.message);
    throw err;
  }
  const store = await StoreClient.open({ path: values.db, onWarning: stderrLog.warn, onInfo: stderrLog.info, retention });
  const receiver = new OtlpReceiver({ sink: store, log: stderrLog, host: values.host, httpPort, grpcPort, maxBodyBytes, token, allowedOrigins });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await receiver.stop();
      await store.close();
      process.exit(0);
    })();
  };
  // Handlers first: a caller may signal as soon as it reads the ports line.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A port lost while serving: a new ports line once it listens again elsewhere; exit 1 if it cannot.
  receiver.onDidChange((change) => {
    if (change.kind === 'listening' && change.moved) process.stdout.write(`${JSON.stringify({ http: change.address.http, grpc: change.address.grpc })}\n`);
    if (change.kind !== 'stopped' || stopping) return;
    stopping = true;
    void store.close().then(() => process.exit(1));
  });
  const address = await receiver.start();
  process.stdout.write(`${JSON.stringify({ http: address.http, grpc: address.grpc })}\n`);
}

async function show(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      json: { type: 'boolean', default: false },
      pretty: { type: 'boolean' },
      compact: { type: 'boolean' },
      workspace: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (!values.json) throw new UsageError('only JSON output exists so far: add --json');
  if (positionals.length > 1) throw new UsageError(`show takes at most one trace id, got ${positionals.length}`);
  if (values.pretty && values.compact) throw new UsageError('show takes --pretty or --compact, not both');
  // People read a terminal; programs read pipes and files, where the whitespace only costs.
  const pretty = values.pretty ?? (values.compact ? false : process.stdout.isTTY === true);
  const traceId = positionals[0]?.toLowerCase();
  if (traceId === undefined) {
    const store = await openExisting(values.db);
    try {
      process.stdout.write(`${JSON.stringify(showTraceList(store), null, pretty ? 2 : undefined)}\n`);
    } finally {
      await store.close();
    }
    return;
  }
  const store = await openExisting(values.db);
  try {
    // Each span's source line, in the given workspace or the current directory.
    if (values.workspace !== undefined && !statSync(values.workspace, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--workspace must be a folder, got "${values.workspace}"`);
    }
    const workspace = await WorkspaceIndex.build(values.workspace ?? process.cwd());
    // A finished large trace is kept as printed (unplaced, compact): printing it is a read.
    const kept = !pretty && workspace.fileCount === 0 ? shownFormJson(store, traceId) : undefined;
    if (kept) {
      process.stdout.write(kept);
      process.stdout.write('\n');
      return;
    }
    // Written in pieces of about a megabyte: a large trace prints while it is read. Into a pipe,
    // each piece waits for the reader to take the last: pieces queued unread kept the whole
    // output alive, and the garbage collector's work doubled.
    let pending = '';
    for (const chunk of showTraceJson(store, traceId, undefined, workspace, pretty)) {
      pending += chunk;
      if (pending.length > 1 << 20) {
        if (!process.stdout.write(pending)) await once(process.stdout, 'drain');
        pending = '';
      }
    }
    process.stdout.write(`${pending}\n`);
  } finally {
    await store.close();
  }
}

async function importFiles(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { db: { type: 'string', default: DEFAULT_DB } }, strict: true, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('import needs at least one file: spanlens import FILE... [--db FILE]');
  const store = await SpanStore.open({ path: values.db, onWarning: stderrLog.warn });
  try {
    for (const file of positionals) {
      let raw: Buffer;
      try {
        raw = readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      let r;
      try {
        r = importOtlp(store, raw);
      } catch (err) {
        if (err instanceof ImportError) throw new UsageError(`${file}: ${err.message}`);
        throw err;
      }
      const rejected = r.rejected ? `, ${r.rejected} rejected` : '';
      process.stderr.write(`${file}: ${r.spans} spans in ${r.traceIds.length} traces, ${r.logs} log records${rejected}\n`);
    }
    // The imported traces are finished: large ones are kept as show prints them now.
    makeShownForms(store);
  } finally {
    await store.close();
  }
}

async function exportTrace(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { db: { type: 'string', default: DEFAULT_DB }, out: { type: 'string' }, html: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('export takes one trace id: spanlens export TRACE_ID (--out FILE | --html FILE)');
  if (!values.out && !values.html) throw new UsageError('export needs --out FILE (OTLP JSON) or --html FILE (a page with the timeline)');
  const store = await openExisting(values.db);
  try {
    const traceId = positionals[0]!.toLowerCase();
    if (!store.traceSummary(traceId)) throw new StoreError(`no trace ${traceId} in this database; "spanlens show --json" lists the trace ids it has`);
    if (values.out) writeFileSync(values.out, exportOtlp(store, [traceId]));
    if (values.html) {
      const bundle = traceBundle(traceId, store.getTrace(traceId), store.logsForTrace(traceId), store.prices);
      writeFileSync(values.html, traceHtml(bundle, readWebviewAssets(path.join(__dirname, 'webview'))));
    }
  } finally {
    await store.close();
  }
}

async function openExisting(db: string): Promise<SpanStore> {
  if (!existsSync(db) && listJournals(db).length === 0) {
    throw new UsageError(`no Spanlens database at ${db}; run "spanlens serve --db ${db}" first, or pass --db FILE`);
  }
  return SpanStore.open({ path: db, readOnly: true });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'show':
      liftoffOnly();
      return show(rest);
    case 'import':
      return importFiles(rest);
    case 'export':
      liftoffOnly();
      return exportTrace(rest);
    case 'run':
      return (await import('./cliRun.js')).run(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  const known = usage || err instanceof StoreError;
  process.stderr.write(`spanlens: ${known ? err.message : err.stack ?? err.message}\n`);
  if (usage) process.stderr.write(`${USAGE}\n`);
  process.exit(usage ? 2 : 1);
});
