/** The bench's printed report: the figures table first, then the details behind each figure. */
import { decodeTraces } from '../src/core/otlp/decode.js';
import { type Config, TARGET_INGEST_SPANS_PER_SEC, TARGET_LOOP_P99_MS } from './config.js';
import type { IngestResult } from './ingest.js';
import { BATCH_SPANS, type Payload } from './payloads.js';
import { MiB, fmt, fmtInt, mean, table } from './stats.js';
import type { DecodeResult, DirectResult, PersistenceResult, SizePoint, Stall } from './storeProcess.js';

/** What the generated payloads look like, printed so that a reader can judge how realistic they are. */
export interface PayloadInfo {
  batches: number;
  spansPerBatch: number;
  meanBatchBytes: number;
  bytesPerSpan: number;
  attributesPerSpan: number;
  genAiShare: number;
  withEventsShare: number;
  errorShare: number;
  tracesPerBatch: number;
}

export interface Measurements {
  payload: PayloadInfo;
  decode: DecodeResult;
  direct: DirectResult;
  ingest: IngestResult;
  single: IngestResult;
  inline: IngestResult;
  persistence: PersistenceResult;
}

export function describePayloads(payloads: Payload[]): PayloadInfo {
  const spans = payloads.flatMap((p) => decodeTraces(p.body, 'protobuf').items);
  const bytes = payloads.reduce((a, p) => a + p.body.length, 0);
  return {
    batches: payloads.length,
    spansPerBatch: BATCH_SPANS,
    meanBatchBytes: bytes / payloads.length,
    bytesPerSpan: bytes / spans.length,
    attributesPerSpan: mean(spans.map((s) => Object.keys(s.attributes).length)),
    genAiShare: spans.filter((s) => 'gen_ai.operation.name' in s.attributes).length / spans.length,
    withEventsShare: spans.filter((s) => s.events.length > 0).length / spans.length,
    errorShare: spans.filter((s) => s.status.code === 'error').length / spans.length,
    tracesPerBatch: new Set(spans.map((s) => s.traceId)).size / payloads.length,
  };
}

const ms = (n: number): string => `${fmt(n, n < 10 ? 2 : 1)} ms`;
const mib = (n: number): string => `${fmtInt(n / MiB)} MiB`;
export const sizeLabel = (n: number): string => (n >= 1e6 ? `${fmt(n / 1e6, n % 1e6 ? 2 : 0)}M` : `${fmt(n / 1e3, 0)}k`);

function fillLine(persistence: PersistenceResult): string {
  const { fill } = persistence;
  const describe = (stalls: Stall[]): string => {
    if (stalls.length === 0) return 'none';
    const worst = [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 3);
    return `${stalls.length}, worst ${worst.map((s) => `${ms(s.ms)} at ${sizeLabel(s.atSpans)}`).join(', ')}`;
  };
  return (
    `Fill (as the store worker stores, realistic payload, ${fmtInt(fill.batches)} batches): ${fmtInt(fill.spans)} spans at ${fmtInt(fill.spansPerSec)} spans/s of its time. ` +
    `Batches over 100 ms: with a checkpoint starting (synchronous db.export) ${describe(fill.stalls.filter((s) => s.checkpoint))}; ` +
    `others (sql.js growing its in-memory file, GC) ${describe(fill.stalls.filter((s) => !s.checkpoint))}.`
  );
}

/**
 * Where this payload meets two hard limits: SpanStore.open reads the snapshot with readFileSync,
 * which refuses files over 2 GiB, and sql.js keeps the database in one Uint8Array, at most 4 GiB.
 */
function limitsLine(p: SizePoint): string {
  const perSpan = p.snapshotBytes / p.spansAtSnapshot;
  return (
    `Database size: ${fmtInt(perSpan)} B per stored span; at this rate the snapshot passes 2 GiB (readFileSync's limit in SpanStore.open) ` +
    `at ≈ ${sizeLabel((2 * 1024 * MiB) / perSpan)} spans and sql.js's in-memory file reaches 4 GiB (the largest typed array) at ≈ ${sizeLabel((4 * 1024 * MiB) / perSpan / 1.125)} spans.`
  );
}

/** "Does not grow with size": near 1 is flat; well under the size ratio is a b-tree's logarithm, not a scan. */
function verdictOfGrowth(growth: number, sizeRatio: number): string {
  const detail = `×${fmt(growth, 2)} for ×${fmtInt(sizeRatio)} spans`;
  if (growth < 1.3) return `flat (${detail})`;
  if (growth < 2) return `mild (${detail})`;
  return `GROWS (${detail})`;
}

export function report(config: Config, m: Measurements): string {
  const { payload: payloadInfo, decode, direct, ingest, single, inline, persistence } = m;
  const out: string[] = [];
  const first = persistence.points[0]!;
  const last = persistence.points[persistence.points.length - 1]!;
  const growth = last.amortisedMs / first.amortisedMs;
  const medianGrowth = last.batchMs.median / first.batchMs.median;
  out.push(
    `Payload: ${payloadInfo.batches} batches × ${BATCH_SPANS} spans from the OpenTelemetry JS SDK, protobuf by @opentelemetry/otlp-transformer; ` +
      `${fmtInt(payloadInfo.meanBatchBytes / 1024)} KiB/batch, ${fmtInt(payloadInfo.bytesPerSpan)} B/span, ${fmt(payloadInfo.attributesPerSpan)} attributes/span, ` +
      `${fmtInt(payloadInfo.genAiShare * 100)}% gen_ai spans, ${fmtInt(payloadInfo.withEventsShare * 100)}% with events, ${fmt(payloadInfo.errorShare * 100)}% errors, ${fmt(payloadInfo.tracesPerBatch)} traces/batch.`,
    '',
    table(
      ['#', 'Figure', 'Measured', 'Target', 'Verdict'],
      [
        ['1', `OTLP/HTTP protobuf ingest → on-disk store in its worker (${config.clients} keep-alive clients, ${config.ingestSeconds} s)`, `${fmtInt(ingest.spansPerSec)} spans/s`, `≥ ${fmtInt(TARGET_INGEST_SPANS_PER_SEC)} spans/s`, ingest.spansPerSec >= TARGET_INGEST_SPANS_PER_SEC ? 'PASS' : 'FAIL'],
        ['', 'decode only (decodeTraces, in-process)', `${fmtInt(decode.spansPerSec)} spans/s`, '', ''],
        ['', 'ingest / decode', fmt(ingest.spansPerSec / decode.spansPerSec, 2), '', ''],
        ['2', `receiver event-loop delay p99 during ingest (resolution ${config.loopResolutionMs} ms)`, ms(ingest.loopDelay.p99), `< ${TARGET_LOOP_P99_MS} ms`, ingest.loopDelay.p99 < TARGET_LOOP_P99_MS ? 'PASS' : 'FAIL'],
        ['', 'event-loop delay p50 / max', `${ms(ingest.loopDelay.p50)} / ${ms(ingest.loopDelay.max)}`, '', ''],
        ['', `one client (one SDK exporting a batch at a time, ${config.singleClientSeconds} s): ingest / loop delay p99`, `${fmtInt(single.spansPerSec)} spans/s / ${ms(single.loopDelay.p99)}`, '', ''],
        ['', `store in the receiver's thread instead (SpanStore, ${config.clients} clients, ${config.inlineSeconds} s): ingest / p99`, `${fmtInt(inline.spansPerSec)} spans/s / ${ms(inline.loopDelay.p99)}`, '', ''],
        ['3', `persistence, amortised ms/batch at ${sizeLabel(first.spans)} → ${sizeLabel(last.spans)} spans`, `${ms(first.amortisedMs)} → ${ms(last.amortisedMs)}`, 'flat', verdictOfGrowth(growth, last.spans / first.spans)],
        ['', `persistence, median ms/batch at ${sizeLabel(first.spans)} → ${sizeLabel(last.spans)} spans`, `${ms(first.batchMs.median)} → ${ms(last.batchMs.median)}`, 'flat', verdictOfGrowth(medianGrowth, last.spans / first.spans)],
        ['', `a checkpoint's synchronous part (blocks the event loop) at ${sizeLabel(first.spans)} → ${sizeLabel(last.spans)}`, `${ms(first.checkpointSyncMs)} → ${ms(last.checkpointSyncMs)}`, '', `grows ×${fmt(last.checkpointSyncMs / first.checkpointSyncMs, 1)}`],
        ['', 'direct store.addSpans, on-disk store (no decode, no HTTP)', `${fmtInt(direct.addSpans.spansPerSec)} spans/s`, '', ''],
        ['', 'decodeTraces + store.addSpans in-process (ingest minus HTTP)', `${fmtInt(direct.decodeAndAdd.spansPerSec)} spans/s`, '', ''],
      ],
    ),
    '',
    `Ingest details: ${fmtInt(ingest.spans)} spans in ${fmt(ingest.seconds)} s (${fmt(ingest.requestsPerSec)} req/s); receiver process CPU ${fmtInt(ingest.receiverCpuPercent)}% of a core (both threads); ` +
      `client CPU ${fmtInt((ingest.client.cpuMs / ingest.client.wallMs) * 100)}% of a core; request latency median ${ms(ingest.client.latencyMs.median)}, p99 ${ms(ingest.client.latencyMs.p99)}, max ${ms(ingest.client.latencyMs.max)}; ` +
      `statuses ${JSON.stringify(ingest.client.statuses)}; ${fmtInt(ingest.storedAtEnd)} spans in ${fmtInt(ingest.tracesAtEnd)} traces stored at the end, db ${mib(ingest.dbBytes)}, store.close() ${ms(ingest.closeMs)}, receiver peak RSS ${mib(ingest.receiverMaxRss)}.`,
    `Decode: ${fmt(decode.mbPerSec)} MiB/s of protobuf, ${ms(decode.msPerBatch)} per 512-span batch.`,
    `Direct runs (${config.directBatches} batches each, fresh store): addSpans median ${ms(direct.addSpans.batchMs.median)}/batch, p99 ${ms(direct.addSpans.batchMs.p99)}, max ${ms(direct.addSpans.batchMs.max)}; ` +
      `decode+addSpans median ${ms(direct.decodeAndAdd.batchMs.median)}/batch, max ${ms(direct.decodeAndAdd.batchMs.max)}.`,
    '',
    `Persistence per 512-span batch: what the store worker does (deflate the body, SpanStore.addRows with the index rows, journal append), measured over the next max(${config.window} batches, ${fmtInt(config.windowGrowth * 100)}% growth) at each size, so that a window holds a growth step of sql.js's in-memory file; a checkpoint is then timed alone.`,
    `Amortised = mean of the window's batches without a checkpoint + checkpoint's synchronous (event-loop) time ÷ batches between checkpoints (journal bytes before one = max(64 MiB, snapshot)).`,
    table(
      ['Stored spans', 'batches', 'median', 'p95', 'max', 'steady mean', 'ckpt sync', 'ckpt total', 'snapshot', 'batches/ckpt', 'amortised', 'amortised+write', 'external mem', 'peak RSS'],
      persistence.points.map((p) => [
        fmtInt(p.spans),
        fmtInt(p.batches),
        ms(p.batchMs.median),
        ms(p.batchMs.p95),
        ms(p.batchMs.max),
        ms(p.steadyMeanMs),
        ms(p.checkpointSyncMs),
        ms(p.checkpointTotalMs),
        mib(p.snapshotBytes),
        fmtInt(p.batchesPerCheckpoint),
        ms(p.amortisedMs),
        ms(p.amortisedWithWriteMs),
        mib(p.memory.external),
        mib(p.memory.maxRss),
      ]),
    ),
    fillLine(persistence),
    limitsLine(last),
  );
  if (ingest.warnings.length) out.push(`Receiver warnings: ${ingest.warnings.join(' | ')}`);
  return out.join('\n');
}
