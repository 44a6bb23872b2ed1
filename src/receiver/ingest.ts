/**
 * One request body, whatever the transport: decode, store, and say what to answer. HTTP and
 * gRPC both call this, so the two agree on every edge case.
 */
import type { DecodedBatch } from '../core/model.js';
import { type Encoding, OtlpDecodeError, decodeLogs, decodeTraces } from '../core/otlp/decode.js';
import type { Signal } from '../core/otlp/encode.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, truncationMessage } from '../core/otlp/limits.js';
import type { AddSpansResult } from '../core/store/spanStore.js';
import { StoreBusyError } from '../core/store/storeClient.js';
import type { IngestSink } from './sink.js';

export type IngestResult =
  | { ok: true; accepted: number; rejected: number; message: string }
  | { ok: false; busy: boolean; message: string };

/**
 * Decoding takes turns: one request's decode (and the index rows the store is sent) per pass of
 * the event loop, first come first served. Many bodies completing at once (a burst, an overload)
 * would otherwise be decoded back to back in one pass, holding the extension host's thread for
 * as long as all of them take; in turns, timers and other extensions run between two batches.
 */
const waiting: (() => void)[] = [];
let turning = false;

function nextTurn(): void {
  waiting.shift()?.();
  if (waiting.length) setImmediate(nextTurn);
  else turning = false;
}

function decodeTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!turning) {
      turning = true;
      setImmediate(nextTurn);
    }
  });
}

/**
 * `limits` (the receiver's, from settings) cut what is past them; truncated items are accepted,
 * so they are not counted as rejected, but the partial-success message says what was cut.
 */
export async function ingest(
  sink: IngestSink,
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<IngestResult> {
  // Metrics are accepted and dropped, so SDKs that export every signal log no errors.
  if (signal === 'metrics') return { ok: true, accepted: 0, rejected: 0, message: '' };
  // Refused anyway: spare the receiver's thread the decode (every retry would pay it again).
  const busy: IngestResult = { ok: false, busy: true, message: 'Spanlens is busy storing earlier batches; retry shortly' };
  if (sink.busy) return busy;
  await decodeTurn();
  if (sink.busy) return busy;
  let batch: BatchSummary;
  // Spans past the store's per-trace limit: not stored, so answered as rejected.
  let overLimit: { count: number; limit: number } | null = null;
  try {
    const sent = signal === 'traces' ? sendSpans(sink, encoding, body, limits) : sendLogs(sink, encoding, body, limits);
    batch = sent.batch;
    const stored = await sent.stored;
    if (stored?.truncated) overLimit = { count: stored.truncated, limit: stored.maxSpansPerTrace };
  } catch (err) {
    if (err instanceof OtlpDecodeError) return { ok: false, busy: false, message: err.message };
    if (err instanceof StoreBusyError) return { ok: false, busy: true, message: `Spanlens is busy storing earlier batches (${err.message}); retry shortly` };
    throw err;
  }
  const reasons = [...batch.rejectReasons];
  if (overLimit) reasons.push(`${overLimit.count} not stored: their trace reached ${overLimit.limit} spans (spanlens.limits.spansPerTrace)`);
  const rejectedCount = batch.rejected + (overLimit?.count ?? 0);
  const rejected = rejectedCount ? `${rejectedCount} rejected: ${reasons.join('; ')}` : '';
  const truncated = truncationMessage(batch, signal === 'traces' ? 'spans' : 'log records', limits);
  const message = rejected && truncated ? `${rejected}. ${truncated}` : rejected || truncated;
  return { ok: true, accepted: batch.count - (overLimit?.count ?? 0), rejected: rejectedCount, message };
}

/** What the answer needs of a decoded batch, without its items. */
type BatchSummary = Omit<DecodedBatch<unknown>, 'items'> & { count: number };

interface Sent {
  batch: BatchSummary;
  /** Settles once the store has the batch; for spans, what their per-trace limit kept out. */
  stored: Promise<AddSpansResult | null>;
}

function summary(decoded: DecodedBatch<unknown>): BatchSummary {
  const { items, ...rest } = decoded;
  return { ...rest, count: items.length };
}

// Decode and hand over in plain functions: the async ingest above keeps only the summary while
// the store works, so the decoded items are garbage as soon as they are indexed and posted.
function sendSpans(sink: IngestSink, encoding: Encoding, body: Uint8Array, limits: DecodeLimits): Sent {
  const decoded = decodeTraces(body, encoding, limits);
  const batch = summary(decoded);
  if (!decoded.items.length) return { batch, stored: Promise.resolve(null) };
  const raw = { encoding, body };
  if (sink.addSpansCounted) return { batch, stored: Promise.resolve(sink.addSpansCounted(decoded.items, raw)) };
  return { batch, stored: Promise.resolve(sink.addSpans(decoded.items, raw)).then(() => null) };
}

function sendLogs(sink: IngestSink, encoding: Encoding, body: Uint8Array, limits: DecodeLimits): Sent {
  const decoded = decodeLogs(body, encoding, limits);
  const batch = summary(decoded);
  if (!decoded.items.length) return { batch, stored: Promise.resolve(null) };
  return { batch, stored: Promise.resolve(sink.addLogs(decoded.items, { encoding, body })).then(() => null) };
}
