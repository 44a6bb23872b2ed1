/**
 * Child process: real OpenTelemetry exporters (OTLP/HTTP protobuf, with and without gzip,
 * OTLP/HTTP JSON, OTLP/gRPC), each standing for one traced application. Some export through
 * a BatchSpanProcessor as an app would, the rest call exporter.export per batch. A wrapper
 * around each exporter sees every export's result, so the trace ids of acknowledged spans are
 * reported to the orchestrator, which later looks for each of them in the store.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import { childArgs, send } from '../../bench/ipc.js';
import { distribution } from '../../bench/stats.js';
import type { ExporterSpec, ExporterStats, ProducerArgs, ProducerCommand, ProducerMessage } from './protocol.js';
import { BATCH_SPANS, type SpanPool, makePool, replay } from './spanPool.js';

const reply = (m: ProducerMessage): Promise<void> => send(m);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The exporter's view of each export: what it offered, what came back. */
class CountingExporter implements SpanExporter {
  readonly stats: ExporterStats;
  private readonly ms: number[] = [];
  inFlight = 0;

  constructor(
    private readonly inner: SpanExporter,
    spec: ExporterSpec,
    private readonly onAcked: (spans: ReadableSpan[]) => void,
  ) {
    this.stats = { name: spec.name, kind: spec.kind, via: spec.via, offered: 0, acked: 0, failed: 0, failures: {}, exportMs: { n: 0, median: 0, p99: 0, max: 0 }, behind: 0, dropped: 0 };
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const t = performance.now();
    this.inFlight++;
    this.inner.export(spans, (result) => {
      this.inFlight--;
      this.ms.push(performance.now() - t);
      if (result.code === ExportResultCode.SUCCESS) {
        this.stats.acked += spans.length;
        this.onAcked(spans);
      } else {
        this.stats.failed += spans.length;
        const e = result.error as (Error & { code?: number | string }) | undefined;
        const why = `${e?.code ?? ''} ${e?.message ?? 'failed'}`.trim().slice(0, 120);
        this.stats.failures[why] = (this.stats.failures[why] ?? 0) + 1;
      }
      done(result);
    });
  }

  /** Once every export has ended: what a BatchSpanProcessor never exported, it dropped (queue full). */
  finish(): ExporterStats {
    const d = distribution(this.ms);
    this.stats.exportMs = { n: d.n, median: d.median, p99: d.p99, max: d.max };
    this.stats.dropped = this.stats.offered - this.stats.acked - this.stats.failed;
    return this.stats;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

function exporterFor(spec: ExporterSpec, args: ProducerArgs): SpanExporter {
  const url = `${args.httpUrl}/v1/traces`;
  switch (spec.kind) {
    case 'proto':
      return new ProtoExporter({ url });
    case 'proto-gzip':
      return new ProtoExporter({ url, compression: 'gzip' as never });
    case 'json':
      return new JsonExporter({ url });
    case 'grpc':
      return new GrpcExporter({ url: args.grpcUrl });
  }
}

interface Sender {
  spec: ExporterSpec;
  counting: CountingExporter;
  processor?: BatchSpanProcessor;
  pool: SpanPool;
  /** Batches offered, and send slots passed on the clock (offered or given up as late). */
  batches: number;
  slots: number;
}

/** Offers the next replayed batch: straight to the exporter, or span by span to the processor. */
function offer(s: Sender): void {
  const { spans } = replay(s.pool, s.batches++);
  s.counting.stats.offered += spans.length;
  if (s.processor) for (const span of spans) s.processor.onEnd(span);
  else s.counting.export(spans, () => undefined);
}

async function main(): Promise<void> {
  const args = childArgs<ProducerArgs>();
  let retries = 0;
  let gaveUp = 0;
  // The exporters say through the OTel diag log when they retry and when they give up.
  diag.setLogger(
    {
      verbose: (m: string) => void (m.startsWith('Scheduling export retry') && retries++),
      debug: () => undefined,
      info: (m: string) => void (/not retrying further|after maximum retry attempts/.test(m) && gaveUp++),
      warn: () => undefined,
      error: () => undefined,
    },
    DiagLogLevel.VERBOSE,
  );
  // Acknowledged trace ids (with their span counts) not yet reported.
  let ackedTraces = new Map<string, number>();
  const onAcked = (spans: ReadableSpan[]): void => {
    for (const s of spans) {
      const id = s.spanContext().traceId;
      ackedTraces.set(id, (ackedTraces.get(id) ?? 0) + 1);
    }
  };
  const senders: Sender[] = [];
  for (const [i, spec] of args.exporters.entries()) {
    const counting = new CountingExporter(exporterFor(spec, args), spec, onAcked);
    // The SDK's defaults (queue of 2048, batches of 512): a larger queue only makes the final
    // flush start more exports at once than the exporter allows (30), which then fail.
    const processor = spec.via === 'batch' ? new BatchSpanProcessor(counting) : undefined;
    senders.push({ spec, counting, processor, pool: await makePool(spec.name, args.poolBatches, args.seed + i), batches: 0, slots: 0 });
  }
  const reportAcked = async (): Promise<void> => {
    if (!ackedTraces.size) return;
    const traces = [...ackedTraces];
    ackedTraces = new Map();
    await reply({ type: 'acked', traces });
  };
  const reporter = setInterval(() => void reportAcked(), 500);
  const cpu0 = process.cpuUsage();
  const started = performance.now();

  const drain = async (): Promise<void> => {
    await Promise.all(senders.map((s) => s.processor?.forceFlush().catch(() => undefined)));
    while (senders.some((s) => s.counting.inFlight > 0)) await sleep(20);
  };

  process.on('message', (command: ProducerCommand) => {
    void (async () => {
      if (command.type === 'run') {
        const t0 = performance.now();
        const end = t0 + command.seconds * 1000;
        while (performance.now() < end) {
          const periods = (command.spansPerSecEach * (performance.now() - t0)) / 1000 / BATCH_SPANS;
          for (const s of senders) {
            const due = Math.floor(periods + s.spec.phase);
            // An open loop: batches fall due on the clock. When all of an exporter's exports are
            // still out, it is late; past a small backlog the late batches are given up (counted),
            // so that a stall is not followed by a burst.
            while (s.slots < due) {
              if (!s.processor && s.counting.inFlight >= command.maxInFlight) {
                const late = due - s.slots - command.maxInFlight;
                if (late > 0) {
                  s.counting.stats.behind += late;
                  s.slots += late;
                }
                break;
              }
              s.slots++;
              offer(s);
            }
          }
          await sleep(10);
        }
        await drain();
      } else if (command.type === 'burst') {
        for (const s of senders) {
          for (let i = 0; i < command.batches; i++) {
            const { spans } = replay(s.pool, s.batches++);
            s.counting.stats.offered += spans.length;
            s.counting.export(spans, () => undefined);
          }
        }
        await drain();
      } else {
        clearInterval(reporter);
        await Promise.all(senders.map((s) => (s.processor ?? s.counting).shutdown().catch(() => undefined)));
        process.disconnect();
        return;
      }
      await reportAcked();
      const cpu = process.cpuUsage(cpu0);
      await reply({
        type: 'done',
        exporters: senders.map((s) => s.counting.finish()),
        retries,
        gaveUp,
        seconds: (performance.now() - started) / 1000,
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
    })().catch((err: Error) => {
      process.stderr.write(`[soak producer] ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  });
  await reply({ type: 'ready' });
}

void main().catch((err: Error) => {
  process.stderr.write(`[soak producer] ${err.stack ?? err.message}\n`);
  process.exit(1);
});
