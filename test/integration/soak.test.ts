/**
 * Load, CI-sized (`npm run soak` runs the same for minutes): eight real OpenTelemetry exporters
 * send LLM-application spans to the real receiver over loopback while the views refresh, with
 * the store in its worker, on disk, under the default retention. Every span an exporter was
 * told is stored is in the store or in a trace retention deleted; the receiver's event loop
 * keeps up; its heap comes back after retention. Past what it can take, the receiver answers
 * 503 + Retry-After over HTTP, and the exporters retry; gRPC calls wait for room instead, up to
 * their deadline (the JS gRPC exporter does not retry UNAVAILABLE). Everything is delivered.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StoreClient } from '../../src/core/store/storeClient.js';
import { DEFAULT_MAX_IN_FLIGHT_BYTES } from '../../src/receiver/httpServer.js';
import { OtlpReceiver } from '../../src/receiver/receiver.js';
import { MiB } from '../soak/memory.js';
import { describeRun, summarizeRun } from '../soak/report.js';
import { type RunResult, runOverload, runSoak } from '../soak/soak.js';
import { replay } from '../soak/spanPool.js';

/** Spans per second of all exporters together: a fifth of `npm run bench`'s figure, so that a shared CI machine holds it. */
const RATE = Number(process.env.SPANLENS_SOAK_RATE ?? 10_000);
const SECONDS = Number(process.env.SPANLENS_SOAK_SECONDS ?? 20);
/**
 * Event-loop delay p99 of the receiver's thread, as monitorEventLoopDelay reports it (its 10 ms
 * resolution included): the bench's target. It is judged only when the machine had cores to
 * spare, i.e. when an idle process saw little delay meanwhile; on a machine shared with other
 * work every loop waits for a core, which is not the receiver's doing. A second-long stall fails
 * the test either way.
 */
const LOOP_P99_BOUND_MS = Number(process.env.SPANLENS_SOAK_LOOP_P99_MS ?? 50);
/** SPANLENS_SOAK_VERBOSE=1 prints each run's whole report (per exporter, per interval). */
const report = (t: { diagnostic(message: string): void }, title: string, r: RunResult): void => {
  t.diagnostic(summarizeRun(r));
  if (process.env.SPANLENS_SOAK_VERBOSE) process.stdout.write(`${describeRun(title, r)}\n`);
};
const QUIET_MACHINE_P99_MS = 20;
const STALL_MS = 1000;

function assertNothingLost(r: RunResult): void {
  const l = r.ledger;
  assert.equal(l.lost, 0, `acknowledged spans missing from the store, e.g. traces ${l.lostTraceIds.join(', ')}`);
  assert.equal(l.present + l.deletedByRetention, l.ackedSpans);
  assert.ok(l.inserted >= l.ackedSpans, `the store inserted ${l.inserted} spans, fewer than the ${l.ackedSpans} acknowledged`);
  assert.equal(r.reopenedSpans, r.spanCountAtStop, 'the file holds what the store held at close');
  assert.equal(r.views.errors, 0, `view queries failed: ${r.views.firstError}`);
}

describe('load', { timeout: 120_000 }, () => {
  it(`8 exporters × ${SECONDS} s at ${RATE} spans/s with the views open: nothing acknowledged is lost, the loop keeps up, memory comes back`, async (t) => {
    // Retention kept small, so that it deletes traces throughout even a short run.
    const r = await runSoak({ seconds: SECONDS, spansPerSec: RATE, exporters: 8, markEverySeconds: 5, retention: { maxTraces: 2000 } });
    report(t, 'soak (CI-sized)', r);
    assertNothingLost(r);
    // The rate held is reported, not asserted: it depends on the machine and on what else runs on it.
    assert.ok(r.ledger.ackedSpans > 0);
    assert.ok(r.ledger.deletedByRetention > 0, 'retention ran during the soak');
    assert.ok(r.views.cycles >= SECONDS / 2, 'the views refreshed throughout');
    const delay = `event-loop delay p99 ${r.loopDelay.p99.toFixed(1)} ms (an idle process meanwhile: ${r.idleLoopDelay.p99.toFixed(1)} ms)`;
    assert.ok(r.loopDelay.p99 < STALL_MS, delay);
    if (r.idleLoopDelay.p99 < QUIET_MACHINE_P99_MS) assert.ok(r.loopDelay.p99 < LOOP_P99_BOUND_MS, delay);
    else t.diagnostic(`the machine was busy with other work: ${delay}, not judged against ${LOOP_P99_BOUND_MS} ms`);
    // The receiver's thread keeps nothing per span: its heap returns to where it started.
    assert.ok(r.memory.after.heapUsed < r.memory.baseline.heapUsed + 32 * MiB, `heap ${(r.memory.after.heapUsed / MiB).toFixed(0)} MiB after, ${(r.memory.baseline.heapUsed / MiB).toFixed(0)} MiB before`);
    // The process as a whole (the worker and sql.js's memory, which WebAssembly never gives back)
    // levels off once retention deletes as fast as spans come: no growth in the second half.
    const half = r.marks.find((m) => m.atSeconds >= SECONDS / 2)!;
    const last = r.marks[r.marks.length - 1]!;
    assert.ok(last.rss < half.rss * 1.2 + 32 * MiB, `rss ${(half.rss / MiB).toFixed(0)} MiB at ${half.atSeconds.toFixed(0)} s, ${(last.rss / MiB).toFixed(0)} MiB at the end`);
  });

  it('overload: 503 + Retry-After over HTTP, gRPC calls wait for room, never a crash; every exporter delivers everything', async (t) => {
    // A store worker that queues 6 batches (not 64): 32 exports at once overload it even when a
    // busy machine leaves the receiver's thread slower than the worker, and the retries still fit
    // in the exporters' 10 s.
    const r = await runOverload({ exporters: 8, batches: 4, maxPendingBatches: 6 });
    report(t, 'overload: 8 exporters × 4 concurrent exports of 512 spans, store queue of 6', r);
    assertNothingLost(r);
    // The overload was met: HTTP requests refused 503 (in-flight budget or full store queue), gRPC
    // calls held back before their message was read, or batches the store refused as busy. Which
    // of these meets it varies with timing; that one of them did does not.
    const refused = r.statuses['503'] ?? 0;
    assert.ok(refused + r.grpcWaited + r.storeBusy > 0, `the receiver was overloaded: ${refused} × 503, ${r.grpcWaited} gRPC calls waited, store busy ${r.storeBusy}`);
    assert.deepEqual(Object.keys(r.statuses).filter((s) => s !== '200' && s !== '503'), [], `no other answers: ${JSON.stringify(r.statuses)}`);
    assert.ok(r.producers.retries >= (r.statuses['503'] ?? 0), 'each 503 was retried');
    for (const e of r.producers.exporters) {
      // HTTP exporters retry 503; gRPC calls wait for room instead (the JS gRPC exporter does not retry UNAVAILABLE).
      assert.equal(e.failed, 0, `${e.name} (${e.kind}) lost batches: ${JSON.stringify(e.failures)}`);
    }
  });

  it('many large requests at once: past the in-flight budget 503 + Retry-After, before reading the body; retries deliver them all', async () => {
    const store = await StoreClient.open({});
    const receiver = new OtlpReceiver({ sink: store, log: { info: () => undefined, warn: () => undefined, error: () => undefined }, httpPort: 0, grpcPort: 0 });
    const { http: port } = await receiver.start();
    const answers: { status: number; retryAfter: unknown }[] = [];
    (receiver['httpServer'] as http.Server).on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.once('finish', () => answers.push({ status: res.statusCode, retryAfter: res.getHeader('retry-after') }));
    });
    try {
      // 320 LLM calls with 32 KB prompts: 10 MB a request once inflated (gzip makes it a few KB on
      // the wire, so the client sends them all at once), and ten at once pass the 64 MB budget.
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'big-prompts' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
      const tracer = provider.getTracer('soak');
      for (let i = 0; i < 320; i++) {
        tracer.startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.input.messages': `[{"role":"user","parts":[{"type":"text","content":"${String(i).padStart(32 * 1024, 'x')}"}]}]` } }).end();
      }
      const pool = { batches: [memory.getFinishedSpans().slice()], startsMs: [Date.now()] };
      const exporter = new ProtoExporter({ url: `http://127.0.0.1:${port}/v1/traces`, compression: 'gzip' as never, timeoutMillis: 30_000 });
      const requests = 10;
      const results = await Promise.all(
        Array.from({ length: requests }, () => new Promise<number>((resolve) => exporter.export(replay(pool, 0).spans, (res) => resolve(res.code)))),
      );
      assert.deepEqual(results, Array(requests).fill(ExportResultCode.SUCCESS), 'every export succeeded in the end');
      assert.equal(store.spanCount, requests * 320);
      const refused = answers.filter((a) => a.status === 503);
      assert.ok(refused.length > 0, `some were refused: ${answers.map((a) => a.status).join(',')}`);
      assert.ok(refused.every((a) => a.retryAfter === '1'), 'each refusal says when to retry');
      assert.equal(answers.filter((a) => a.status === 200).length, requests);
      assert.ok(DEFAULT_MAX_IN_FLIGHT_BYTES < requests * 10 * MiB);
      await exporter.shutdown();
      await provider.shutdown();
    } finally {
      await receiver.stop();
      await store.close();
    }
  });
});
