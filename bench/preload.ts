/**
 * Figures of the Node preload (`spanlens run`): its start-up cost (`node -e 0` with and without
 * it), the call-site capture per span, and how long after the program exits its run is in the
 * store. Run after `node scripts/build.mjs`: `node --import tsx bench/preload.ts`; writes
 * bench/results/preload.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newRunId, tracedEnvironment } from '../src/core/run/traceEnv.js';
import { StoreClient } from '../src/core/store/storeClient.js';
import { OtlpReceiver } from '../src/receiver/receiver.js';
import { captureUserLocation } from '../src/runtime/node/stackCapture.js';
import { startFakeOpenAI } from '../test/helpers/fakeOpenAI.js';
import { distribution, fmt, table, type Distribution } from './stats.js';

const root = path.resolve(__dirname, '..');
const preloadDir = path.join(root, 'dist/runtime/node');
const RUNS = 10;

function timeNode(env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node -e 0 exited with ${r.status}`);
  return performance.now() - t;
}

function startupCost(): { without: Distribution; with: Distribution } {
  const plain: NodeJS.ProcessEnv = { ...process.env };
  delete plain.NODE_OPTIONS;
  // A closed port: nothing is exported by `-e 0` anyway.
  const traced = tracedEnvironment({ endpoint: 'http://127.0.0.1:9', runId: 'bench', serviceName: 'bench', preloadDir, base: plain });
  timeNode(plain);
  timeNode(traced);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timeNode(plain));
    b.push(timeNode(traced));
  }
  return { without: distribution(a), with: distribution(b) };
}

/** A stack as deep as an instrumented SDK call makes: user frames under SDK-like frames. */
function nest(depth: number, fn: () => void): void {
  if (depth === 0) fn();
  else nest(depth - 1, fn);
}

function captureCost(): Distribution {
  const skip = new Set([path.join(root, 'src/runtime/node/stackCapture.ts')]);
  const perBatch: number[] = [];
  const N = 2000;
  for (let round = 0; round < 25; round++) {
    nest(25, () => {
      const t = performance.now();
      for (let i = 0; i < N; i++) captureUserLocation(skip);
      perBatch.push(((performance.now() - t) * 1000) / N);
    });
  }
  return distribution(perBatch.slice(5));
}

/** From the program's exit to its spans in the store (receiver and store as `spanlens run` has them). */
async function endToVisible(): Promise<Distribution> {
  const fake = await startFakeOpenAI();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spanlens-bench-preload-'));
  const store = await StoreClient.open({ path: path.join(dir, 'bench.db') });
  const receiver = new OtlpReceiver({ sink: store, log: { info: () => undefined, warn: () => undefined, error: () => undefined }, httpPort: 0, grpcPort: 0 });
  const address = await receiver.start();
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const runId = newRunId();
      const env = tracedEnvironment({ endpoint: `http://127.0.0.1:${address.http}`, runId, serviceName: 'bench', preloadDir, base: { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-fake' } });
      const app = path.join(root, 'test/fixtures/run-apps/cjs/app.cjs');
      const exitedAt = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [app], { env, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', () => resolve(performance.now()));
      });
      for (;;) {
        const traces = await store.call('listTraces', 100, 0, runId);
        if (traces.reduce((n, t) => n + t.llmCalls, 0) >= 2) break;
        if (performance.now() - exitedAt > 10_000) throw new Error('the run did not arrive in 10 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(performance.now() - exitedAt);
    }
  } finally {
    await receiver.stop();
    await store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return distribution(times);
}

async function main(): Promise<void> {
  const startup = startupCost();
  const capture = captureCost();
  const visible = await endToVisible();
  const added = startup.with.median - startup.without.median;
  const rows = [
    ['preload start-up (node -e 0, added)', `${fmt(added)} ms`, `${fmt(startup.without.median)} → ${fmt(startup.with.median)} ms`, '≤150 ms', added <= 150 ? 'ok' : 'over'],
    ['call-site capture per span', `${fmt(capture.median, 2)} µs`, `p95 ${fmt(capture.p95, 2)} µs`, '≤20 µs', capture.median <= 20 ? 'ok' : 'over'],
    ['program exit → run in store', `${fmt(visible.median)} ms`, `p95 ${fmt(visible.p95)} ms`, '≤1000 ms', visible.median <= 1000 ? 'ok' : 'over'],
  ];
  process.stdout.write(`${table(['measure', 'median', 'detail', 'target', ''], rows)}\n`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const result = { node: process.version, startup, captureMicros: capture, exitToVisibleMs: visible };
  writeFileSync(path.join(root, 'bench/results/preload.json'), `${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
