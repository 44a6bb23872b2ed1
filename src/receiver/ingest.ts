/**
 * One request body, whatever the transport: decode, store, and say what to answer. HTTP and
 * gRPC both call this, so the two agree on every edge case.
 */
import type { DecodedBatch } from '../core/model.js';
import { type Encoding, OtlpDecodeError, decodeLogs, decodeTraces } from '../core/otlp/decode.js';
import type { Signal } from '../core/otlp/encode.js';
import { StoreBusyError } from '../core/store/storeClient.js';
import type { IngestSink } from './sink.js';

export type IngestResult =
  | { ok: true; accepted: number; rejected: number; message: string }
  | { ok: false; busy: boolean; message: string };

export async function ingest(sink: IngestSink, signal: Signal, encoding: Encoding, body: Uint8Array): Promise<IngestResult> {
  // Metrics are accepted and dropped, so SDKs that export every signal log no errors.
  if (signal === 'metrics') return { ok: true, accepted: 0, rejected: 0, message: '' };
  let batch: DecodedBatch<unknown>;
  try {
    if (signal === 'traces') {
      const decoded = decodeTraces(body, encoding);
      batch = decoded;
      if (decoded.items.length) await sink.addSpans(decoded.items, { encoding, body });
    } else {
      const decoded = decodeLogs(body, encoding);
      batch = decoded;
      if (decoded.items.length) await sink.addLogs(decoded.items, { encoding, body });
    }
  } catch (err) {
    if (err instanceof OtlpDecodeError) return { ok: false, busy: false, message: err.message };
    if (err instanceof StoreBusyError) return { ok: false, busy: true, message: `Spanlens is busy storing earlier batches (${err.message}); retry shortly` };
    throw err;
  }
  const message = batch.rejected ? `${batch.rejected} rejected: ${batch.rejectReasons.join('; ')}` : '';
  return { ok: true, accepted: batch.items.length, rejected: batch.rejected, message };
}
