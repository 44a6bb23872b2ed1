/**
 * `spanlens run [--db FILE] [--workspace DIR] -- COMMAND [ARGS…]`: runs a program with tracing on
 * (the Node preload and the OTel environment), its spans going to an embedded receiver and the
 * database; prints a summary on stderr and exits with the program's exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runSummaryText, type SlowestCall } from './core/run/runSummary.js';
import { newRunId, tracedEnvironment } from './core/run/traceEnv.js';
import type { StoreClient } from './core/store/storeClient.js';
import type { TraceSummary } from './core/store/spanTables.js';
import type { OtlpReceiver } from './receiver/receiver.js';

/** The CLI treats errors with an `ERR_PARSE_ARGS…` code as usage errors: message, usage, exit 2. */
export class RunUsageError extends Error {
  readonly code = 'ERR_PARSE_ARGS_RUN';
}

const USAGE = 'spanlens run [--db FILE] [--workspace DIR] -- COMMAND [ARGS…]';
/** After the program exits: how long without an export request before the run counts as complete. */
const QUIET_MS = 150;
const MAX_WAIT_MS = 3000;

const TS_FILE = /\.(ts|mts|cts|tsx)$/;

/**
 * `node app.ts` cannot run TypeScript on Node 20: with the workspace's tsx (or ts-node) it can;
 * on Node 22.6+ Node strips the types itself.
 */
export function typescriptArgs(command: string, args: string[], workspace: string, nodeVersion = process.versions.node): string[] {
  const isNode = /^node(\.exe)?$/.test(path.basename(command));
  const script = args.find((a) => !a.startsWith('-'));
  if (!isNode || !script || !TS_FILE.test(script)) return args;
  if (args.some((a) => /tsx|ts-node|strip-types/.test(a))) return args;
  const tsxLoader = resolveFrom(workspace, 'tsx/package.json', 'dist/loader.mjs');
  if (tsxLoader) return ['--import', pathToFileURL(tsxLoader).href, ...args];
  const tsNode = resolveFrom(workspace, 'ts-node/package.json', 'register/index.js');
  if (tsNode) return ['--require', tsNode, ...args];
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 6)) return ['--experimental-strip-types', ...args];
  throw new RunUsageError(
    `Node ${nodeVersion} cannot run TypeScript by itself (type stripping came in Node 22.6) and the workspace has neither tsx nor ts-node: "npm i -D tsx", or run "spanlens run -- npx tsx ${script}"`,
  );
}

function resolveFrom(dir: string, pkgJson: string, file: string): string | null {
  try {
    const p = path.join(path.dirname(require.resolve(pkgJson, { paths: [dir] })), file);
    return existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n;
}

/** Resolves once no export request has arrived for QUIET_MS (at most MAX_WAIT_MS). */
function settled(receiver: OtlpReceiver): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    let timer = setTimeout(done, QUIET_MS);
    const sub = receiver.onDidReceive(() => {
      clearTimeout(timer);
      timer = setTimeout(done, Math.max(0, Math.min(QUIET_MS, MAX_WAIT_MS - (Date.now() - started))));
    });
    function done(): void {
      sub.dispose();
      resolve();
    }
  });
}

async function slowestCall(store: StoreClient, traces: readonly TraceSummary[], workspace: string): Promise<SlowestCall | null> {
  let best: SlowestCall | null = null;
  let bestSpan = '';
  for (const t of traces) {
    if (t.llmCalls === 0) continue;
    const view = await store.traceView(t.traceId);
    for (const s of view?.spans ?? []) {
      if (s.kind !== 'llm' || (best && s.durationMs <= best.durationMs)) continue;
      best = { name: s.name, durationMs: s.durationMs, traceId: t.traceId, location: null };
      bestSpan = s.id;
    }
  }
  if (best) {
    const loc = (await store.traceSources(best.traceId, workspace))[bestSpan];
    if (loc) best.location = { path: loc.path, line: loc.line };
  }
  return best;
}

export async function run(args: string[]): Promise<void> {
  const dash = args.indexOf('--');
  if (dash < 0 || dash === args.length - 1) throw new RunUsageError(`run needs the command after "--": ${USAGE}`);
  const { values } = parseArgs({
    args: args.slice(0, dash),
    options: { db: { type: 'string', default: 'spanlens.db' }, workspace: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const workspace = path.resolve(values.workspace ?? process.cwd());
  if (!statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) throw new RunUsageError(`--workspace must be a folder, got "${workspace}"`);
  const [command, ...commandArgs] = args.slice(dash + 1) as [string, ...string[]];
  const childArgs = typescriptArgs(command, commandArgs, workspace);

  const { OtlpReceiver, StoreClient } = await import('./cliReceiver.js');
  const warn = (m: string): void => void process.stderr.write(`spanlens: warning: ${m}\n`);
  const store = await StoreClient.open({ path: values.db, onWarning: warn });
  const receiver = new OtlpReceiver({
    sink: store,
    log: { info: () => undefined, warn, error: (m) => void process.stderr.write(`spanlens: error: ${m}\n`) },
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
  });
  const address = await receiver.start();
  const runId = newRunId();
  const env = tracedEnvironment({
    endpoint: `http://127.0.0.1:${address.http}`,
    runId,
    serviceName: path.basename(workspace) || 'app',
    preloadDir: path.join(__dirname, 'runtime', 'node'),
    base: process.env,
  });

  const child = spawn(command, childArgs, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  // The terminal sends Ctrl-C to the child too; a signal sent to us alone is passed on.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exitCode = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`spanlens: cannot start "${command}": ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  process.removeListener('SIGINT', forward);
  process.removeListener('SIGTERM', forward);

  await settled(receiver);
  await store.call('flush');
  const traces = await store.call('listTraces', 10_000, 0, runId);
  const slowest = await slowestCall(store, traces, workspace);
  process.stderr.write(runSummaryText({ runId, traces, slowest, workspace, exitCode }));
  await receiver.stop();
  await store.close();
  process.exit(exitCode);
}
