/**
 * Batches of exactly 512 spans, serialized by the OpenTelemetry JS exporter's own protobuf
 * serializer (what an SDK puts on the wire), plus the offsets of every trace id in each body.
 *
 * It also records where each trace id and each time sits in a body, so that stamp.ts can
 * replay a body as new spans by patching bytes rather than re-encoding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context } from '@opentelemetry/api';
import { Budget, type Ctx, Rng, SeededIds, type TraceShape, type Tracers, agentRun, chatRequest, indexJob } from './llmTraces.js';

export const BATCH_SPANS = 512;

export interface TraceIds {
  /** The trace id as generated, hex. */
  id: string;
  /** Byte offsets of this id in the body: the trace id of each of its spans and of links to it. */
  offsets: number[];
}

export interface Payload {
  body: Buffer;
  spans: number;
  traces: TraceIds[];
  /** Byte offsets of every fixed64 time in the body (span start and end, event times). */
  timeOffsets: number[];
}

/** The payloads and the span of virtual time they cover, so that replaying them can move time on. */
export interface PayloadSet {
  payloads: Payload[];
  cycleNs: number;
}

interface Service {
  name: string;
  shapes: TraceShape[];
}

const SERVICES: Service[] = [
  { name: 'chat-api', shapes: [chatRequest, chatRequest, chatRequest, agentRun] },
  { name: 'agent-worker', shapes: [agentRun] },
  { name: 'indexer', shapes: [indexJob] },
];

function resourceFor(service: string, rng: Rng): ReturnType<typeof resourceFromAttributes> {
  return resourceFromAttributes({
    'service.name': service,
    'service.version': '1.14.2',
    'service.namespace': 'support-bot',
    'service.instance.id': rng.hex(32),
    'deployment.environment.name': 'staging',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': '2.12.1',
    'host.name': `ip-10-0-${rng.int(0, 9)}-${rng.int(1, 254)}`,
    'host.arch': 'amd64',
    'os.type': 'linux',
    'process.pid': rng.int(100, 60000),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '20.18.1',
  });
}

/** Generates `count` batches deterministically from `seed`. */
export async function generatePayloads(count: number, seed = 42): Promise<PayloadSet> {
  const rng = new Rng(seed);
  const idGenerator = new SeededIds(rng);
  const origin = Date.UTC(2025, 5, 2, 9, 0, 0);
  let clock = origin;
  let lastEnd = origin;
  const producers = SERVICES.map((service) => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFor(service.name, rng),
      idGenerator,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracers: Tracers = {
      http: provider.getTracer('@opentelemetry/instrumentation-http', '0.57.2'),
      pg: provider.getTracer('@opentelemetry/instrumentation-pg', '0.50.0'),
      genai: provider.getTracer('@opentelemetry/instrumentation-openai', '0.1.0'),
      app: provider.getTracer(service.name, '1.14.2'),
    };
    return { service, exporter, provider, tracers };
  });
  const out: Payload[] = [];
  for (let i = 0; i < count; i++) {
    const p = producers[i % producers.length]!;
    const c: Ctx = { tracers: p.tracers, rng, budget: new Budget(BATCH_SPANS) };
    let previous: Context | undefined;
    while (c.budget.left > 0) {
      previous = rng.pick(p.service.shapes)(c, clock, previous) ?? previous;
      clock += rng.int(50, 3000);
    }
    await p.provider.forceFlush();
    const spans = p.exporter.getFinishedSpans();
    p.exporter.reset();
    if (spans.length !== BATCH_SPANS) throw new Error(`generated ${spans.length} spans, expected ${BATCH_SPANS}`);
    const bytes = ProtobufTraceSerializer.serializeRequest(spans);
    if (!bytes) throw new Error('the OTLP serializer returned nothing');
    const body = Buffer.from(bytes);
    const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))];
    const times = new Set<bigint>();
    for (const s of spans) {
      for (const t of [s.startTime, s.endTime, ...s.events.map((e) => e.time)]) times.add(BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]));
      lastEnd = Math.max(lastEnd, s.endTime[0] * 1000 + s.endTime[1] / 1e6);
    }
    out.push({ body, spans: spans.length, traces: findTraceIds(body, traceIds, spans.length), timeOffsets: findTimes(body, times, spans.length) });
  }
  await Promise.all(producers.map((p) => p.provider.shutdown()));
  return { payloads: out, cycleNs: (Math.ceil(lastEnd - origin) + 1000) * 1e6 };
}

/** Finds every occurrence of each trace id's 16 bytes; random ids do not occur by chance elsewhere. */
function findTraceIds(body: Buffer, traceIds: string[], spanCount: number): TraceIds[] {
  const traces = traceIds.map((id) => ({ id, offsets: occurrences(body, Buffer.from(id, 'hex')) }));
  const found = traces.reduce((n, t) => n + t.offsets.length, 0);
  if (found < spanCount) throw new Error(`found ${found} trace ids in a body of ${spanCount} spans`);
  return traces;
}

/**
 * Finds the fixed64 time fields: span start (field 7, tag 0x39), span end (field 8, tag 0x41)
 * and event time (field 1, tag 0x09), each a tag byte then 8 little-endian bytes.
 */
function findTimes(body: Buffer, times: Set<bigint>, spanCount: number): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 9 <= body.length; at++) {
    const tag = body[at];
    if ((tag === 0x39 || tag === 0x41 || tag === 0x09) && times.has(body.readBigUInt64LE(at + 1))) offsets.push(at + 1);
  }
  if (offsets.length < 2 * spanCount) throw new Error(`found ${offsets.length} times in a body of ${spanCount} spans`);
  return offsets;
}

function occurrences(body: Buffer, needle: Buffer): number[] {
  const found: number[] = [];
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + 1)) found.push(at);
  return found;
}

interface IndexEntry {
  offset: number;
  length: number;
  spans: number;
  traces: TraceIds[];
  timeOffsets: number[];
}

/** Writes the payloads to DIR/payloads.bin and DIR/payloads.json, for the child processes. */
export function savePayloads(dir: string, set: PayloadSet): void {
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const p of set.payloads) {
    index.push({ offset, length: p.body.length, spans: p.spans, traces: p.traces, timeOffsets: p.timeOffsets });
    offset += p.body.length;
  }
  writeFileSync(path.join(dir, 'payloads.bin'), Buffer.concat(set.payloads.map((p) => p.body)));
  writeFileSync(path.join(dir, 'payloads.json'), JSON.stringify({ cycleNs: set.cycleNs, index }));
}

export function loadPayloads(dir: string): PayloadSet {
  const data = readFileSync(path.join(dir, 'payloads.bin'));
  const { cycleNs, index } = JSON.parse(readFileSync(path.join(dir, 'payloads.json'), 'utf8')) as { cycleNs: number; index: IndexEntry[] };
  const payloads = index.map((e) => ({ body: data.subarray(e.offset, e.offset + e.length), spans: e.spans, traces: e.traces, timeOffsets: e.timeOffsets }));
  return { payloads, cycleNs };
}
