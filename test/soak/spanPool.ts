/**
 * Spans for the soak: a few batches of real SDK spans (BasicTracerProvider, the LLM-app shapes
 * of bench/llmTraces.ts: chat requests and agent runs with gen_ai attributes and prompts of a
 * few hundred bytes), replayed as new spans. Making every span with the SDK costs about one
 * core per 50,000 spans/s on this kind of machine, which would leave the receiver nothing to
 * run on; a replay wraps each pooled span with new trace and span ids and times moved to now,
 * and the exporters serialize and send it as they would any span.
 */
import { randomBytes } from 'node:crypto';
import { type HrTime, type SpanContext, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Budget, type Ctx, Rng, agentRun, chatRequest } from '../../bench/llmTraces.js';

export const BATCH_SPANS = 512;

export interface SpanPool {
  batches: ReadableSpan[][];
  /** Wall-clock ms of each batch's earliest span start: a replay moves it to now. */
  startsMs: number[];
}

/** A replayed batch: new ids, times moved, and how many spans each new trace id has. */
export interface Replay {
  spans: ReadableSpan[];
  traces: Map<string, number>;
}

/** Makes `batches` batches of exactly BATCH_SPANS spans for one application (one service instance). */
export async function makePool(app: string, batches: number, seed: number): Promise<SpanPool> {
  const rng = new Rng(seed);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': app,
      'service.version': '1.14.2',
      'service.instance.id': rng.hex(32),
      'deployment.environment.name': 'soak',
      'telemetry.sdk.language': 'nodejs',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracers = {
    http: provider.getTracer('@opentelemetry/instrumentation-http', '0.57.2'),
    pg: provider.getTracer('@opentelemetry/instrumentation-pg', '0.50.0'),
    genai: provider.getTracer('@opentelemetry/instrumentation-openai', '0.1.0'),
    app: provider.getTracer(app, '1.14.2'),
  };
  let clock = Date.now() - 60_000;
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < batches; i++) {
    // One batch holds whole traces (the budget cuts the last one short), so a replay maps every parent.
    const c: Ctx = { tracers, rng, budget: new Budget(BATCH_SPANS) };
    while (c.budget.left > 0) {
      (rng.chance(0.75) ? chatRequest : agentRun)(c, clock);
      clock += rng.int(5, 40);
    }
    await provider.forceFlush();
    out.push(exporter.getFinishedSpans().slice());
    exporter.reset();
  }
  await provider.shutdown();
  const startsMs = out.map((batch) => Math.min(...batch.map((s) => s.startTime[0] * 1000 + s.startTime[1] / 1e6)));
  return { batches: out, startsMs };
}

function shift(time: HrTime, ms: number): HrTime {
  const ns = time[1] + Math.round((ms % 1000) * 1e6);
  const seconds = time[0] + Math.floor(ms / 1000) + Math.floor(ns / 1e9);
  return [seconds, ns % 1e9];
}

/**
 * The pool's batch `n` as new spans: each trace and span id replaced by a fresh random one
 * (consistently within the batch, so parents still match), times moved so the batch starts now.
 * The pooled span is the prototype: attributes, events' attributes, resource and scope are shared.
 */
export function replay(pool: SpanPool, n: number): Replay {
  const batch = pool.batches[n % pool.batches.length]!;
  const moveMs = Date.now() - pool.startsMs[n % pool.batches.length]!;
  const random = randomBytes(batch.length * 24);
  let at = 0;
  const fresh = (bytes: number): string => {
    const id = random.toString('hex', at, at + bytes);
    at += bytes;
    return id;
  };
  const traceIds = new Map<string, string>();
  const spanIds = new Map<string, string>();
  const traceOf = (id: string): string => traceIds.get(id) ?? (traceIds.set(id, fresh(16)), traceIds.get(id)!);
  const spanOf = (id: string): string => spanIds.get(id) ?? (spanIds.set(id, fresh(8)), spanIds.get(id)!);
  const traces = new Map<string, number>();
  const spans = batch.map((s) => {
    const old = s.spanContext();
    const context: SpanContext = { traceId: traceOf(old.traceId), spanId: spanOf(old.spanId), traceFlags: TraceFlags.SAMPLED };
    traces.set(context.traceId, (traces.get(context.traceId) ?? 0) + 1);
    const parent = s.parentSpanContext && { ...s.parentSpanContext, traceId: context.traceId, spanId: spanOf(s.parentSpanContext.spanId) };
    return Object.create(s, {
      spanContext: { value: () => context },
      parentSpanContext: { value: parent },
      startTime: { value: shift(s.startTime, moveMs) },
      endTime: { value: shift(s.endTime, moveMs) },
      events: { value: s.events.map((e) => ({ ...e, time: shift(e.time, moveMs) })) },
    }) as ReadableSpan;
  });
  return { spans, traces };
}
