/**
 * `npm run bench`: ingest throughput, receiver event-loop delay and persistence cost of the
 * span store, on realistic LLM-application spans. Prints a table and writes
 * bench/results/latest.json. Options: --quick (a short smoke run with smaller sizes),
 * --profile (CPU profiles of the receiver (both threads) and store children, in
 * bench/results/profiles/NAME/; summarise one with `node --import tsx bench/profileSummary.ts FILE`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FULL, QUICK, TARGET_INGEST_SPANS_PER_SEC, TARGET_LOOP_P99_MS, type Config } from './config.js';
import { runIngest } from './ingest.js';
import { Children, type PhaseResult, isType, nextMessage } from './ipc.js';
import { generatePayloads, savePayloads } from './payloads.js';
import { describePayloads, report, sizeLabel } from './report.js';
import { fmt } from './stats.js';
import type { DecodeResult, DirectResult, PersistenceResult, StoreArgs } from './storeProcess.js';

async function runStore<T>(children: Children, args: StoreArgs, config: Config, profileDir?: string): Promise<T> {
  const child = children.fork('storeProcess', args, { heapMb: config.heapMb, profileDir });
  const message = await nextMessage(child, isType<PhaseResult<T>>('result'));
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  return message.result;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const config = quick ? QUICK : FULL;
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const profileDir = process.argv.includes('--profile') ? path.join(resultsDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'spanlens-bench-'));
  const children = new Children();
  const started = performance.now();
  const step = (what: string): void => {
    process.stdout.write(`[bench ${fmt((performance.now() - started) / 1000, 0)}s] ${what}\n`);
  };
  try {
    step(`generating ${config.payloadBatches} payloads with the OpenTelemetry SDK`);
    const set = await generatePayloads(config.payloadBatches);
    savePayloads(work, set);
    const payloadInfo = describePayloads(set.payloads);
    const dir = (name: string): string => {
      const d = path.join(work, name);
      mkdirSync(d);
      return d;
    };
    step('decode only');
    const decode = await runStore<DecodeResult>(children, { phase: 'decode', payloadDir: work, seconds: config.decodeSeconds }, config);
    step('direct store.addSpans');
    const direct = await runStore<DirectResult>(children, { phase: 'direct', payloadDir: work, dir: dir('direct'), batches: config.directBatches }, config, profileDir);
    step(`OTLP/HTTP ingest, store in its worker (${config.ingestWarmupSeconds} s warm-up + ${config.ingestSeconds} s)`);
    const ingest = await runIngest(children, work, dir('ingest'), config, { store: 'worker', clients: config.clients, seconds: config.ingestSeconds }, profileDir);
    step(`OTLP/HTTP ingest, one client (${config.ingestWarmupSeconds} s warm-up + ${config.singleClientSeconds} s)`);
    const single = await runIngest(children, work, dir('single'), config, { store: 'worker', clients: 1, seconds: config.singleClientSeconds });
    step(`OTLP/HTTP ingest, store in the receiver's thread (${config.ingestWarmupSeconds} s warm-up + ${config.inlineSeconds} s)`);
    const inline = await runIngest(children, work, dir('inline'), config, { store: 'inline', clients: config.clients, seconds: config.inlineSeconds }, profileDir);
    step(`persistence at ${config.sizes.map(sizeLabel).join(', ')} spans`);
    const persistence = await runStore<PersistenceResult>(children, { phase: 'persistence', payloadDir: work, dir: dir('persistence'), sizes: config.sizes, window: config.window, windowGrowth: config.windowGrowth }, config);
    const seconds = (performance.now() - started) / 1000;
    step('done');
    const header = `Spanlens bench${quick ? ' (--quick)' : ''}: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()}; took ${fmt(seconds, 0)} s`;
    process.stdout.write(`\n${header}\n${report(config, { payload: payloadInfo, decode, direct, ingest, single, inline, persistence })}\n`);
    const file = path.join(resultsDir, 'latest.json');
    const json = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      quick,
      seconds,
      config,
      payload: payloadInfo,
      figures: {
        ingestSpansPerSec: ingest.spansPerSec,
        decodeSpansPerSec: decode.spansPerSec,
        ingestOverDecode: ingest.spansPerSec / decode.spansPerSec,
        loopDelayP99Ms: ingest.loopDelay.p99,
        singleClientIngestSpansPerSec: single.spansPerSec,
        singleClientLoopDelayP99Ms: single.loopDelay.p99,
        inlineStoreIngestSpansPerSec: inline.spansPerSec,
        inlineStoreLoopDelayP99Ms: inline.loopDelay.p99,
        persistence: persistence.points.map((p) => ({ spans: p.spans, medianMs: p.batchMs.median, amortisedMs: p.amortisedMs })),
        directAddSpansSpansPerSec: direct.addSpans.spansPerSec,
        decodeAndAddSpansPerSec: direct.decodeAndAdd.spansPerSec,
      },
      targets: { ingestSpansPerSec: TARGET_INGEST_SPANS_PER_SEC, loopDelayP99Ms: TARGET_LOOP_P99_MS },
      decode,
      direct,
      ingest,
      singleClientIngest: single,
      inlineStoreIngest: inline,
      persistence,
    };
    writeFileSync(file, JSON.stringify(json, null, 2));
    process.stdout.write(`\nWrote ${path.relative(process.cwd(), file)}${profileDir ? `; CPU profiles in ${path.relative(process.cwd(), profileDir)}` : ''}\n`);
  } finally {
    children.killAll();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
