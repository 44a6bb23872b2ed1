/**
 * OTLP files in and out. Import reads one OTLP/JSON request, JSON Lines of requests (as the
 * OpenTelemetry Collector's file exporter writes them), or OTLP protobuf (one request, or
 * requests each prefixed with a 4-byte big-endian length), gzip-compressed or not. Export
 * writes JSON Lines: the trace request, then the log request when there are log records.
 */
import { gunzipSync } from 'node:zlib';
import { OtlpDecodeError, decodeLogs, decodeTraces } from './otlp/decode.js';
import { logsRequestJson, tracesRequestJson } from './otlp/encodeJson.js';
import type { SpanStore } from './store/spanStore.js';

export interface ImportResult {
  spans: number;
  logs: number;
  rejected: number;
  traceIds: string[];
}

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

type Chunk = { encoding: 'json' | 'protobuf'; body: Buffer };

function jsonChunks(text: string): Chunk[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    JSON.parse(trimmed);
    return [{ encoding: 'json', body: Buffer.from(trimmed) }];
  } catch {
    // Not one document: JSON Lines, one request per line.
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    try {
      JSON.parse(line);
    } catch (err) {
      throw new ImportError(`line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
    return { encoding: 'json' as const, body: Buffer.from(line) };
  });
}

function protobufChunks(bytes: Buffer): Chunk[] {
  try {
    decodeTraces(bytes, 'protobuf');
    return [{ encoding: 'protobuf', body: bytes }];
  } catch {
    // Maybe a sequence of length-prefixed requests.
  }
  const chunks: Chunk[] = [];
  let off = 0;
  while (off + 4 <= bytes.length) {
    const len = bytes.readUInt32BE(off);
    if (off + 4 + len > bytes.length) throw new ImportError(`not an OTLP protobuf file: a record at byte ${off} runs past the end`);
    chunks.push({ encoding: 'protobuf', body: bytes.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  if (off !== bytes.length || chunks.length === 0) throw new ImportError('not an OTLP JSON or protobuf file');
  return chunks;
}

/** Splits a file's bytes into OTLP request bodies. */
export function otlpChunks(raw: Buffer): Chunk[] {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return jsonChunks(bytes.toString('utf8')) ?? protobufChunks(bytes);
}

function isLogs(chunk: Chunk): boolean {
  if (chunk.encoding === 'json') return /"resource_?[lL]ogs"\s*:/.test(chunk.body.subarray(0, 200).toString());
  return false;
}

function isMetrics(chunk: Chunk): boolean {
  return chunk.encoding === 'json' && /"resource_?[mM]etrics"\s*:/.test(chunk.body.subarray(0, 200).toString());
}

/** Imports a file's requests into the store; spans with bad fields are counted, not stored. */
export function importOtlp(store: SpanStore, raw: Buffer): ImportResult {
  const result: ImportResult = { spans: 0, logs: 0, rejected: 0, traceIds: [] };
  const traces = new Set<string>();
  for (const chunk of otlpChunks(raw)) {
    if (isMetrics(chunk)) continue;
    try {
      if (isLogs(chunk)) {
        const batch = decodeLogs(chunk.body, chunk.encoding);
        result.rejected += batch.rejected;
        result.logs += store.addLogs(batch.items, chunk);
      } else {
        const batch = decodeTraces(chunk.body, chunk.encoding);
        result.rejected += batch.rejected;
        for (const s of batch.items) traces.add(s.traceId);
        result.spans += store.addSpans(batch.items, chunk);
      }
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new ImportError(err.message);
      throw err;
    }
  }
  result.traceIds = [...traces];
  return result;
}

/** OTLP/JSON Lines of the given traces: their spans, then their log records if any. */
export function exportOtlp(store: SpanStore, traceIds: string[]): string {
  const spans = traceIds.flatMap((id) => store.getTrace(id));
  const logs = traceIds.flatMap((id) => store.logsForTrace(id));
  const lines = [JSON.stringify(tracesRequestJson(spans))];
  if (logs.length) lines.push(JSON.stringify(logsRequestJson(logs)));
  return `${lines.join('\n')}\n`;
}
