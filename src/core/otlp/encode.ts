/** OTLP response bodies: Export…ServiceResponse with partial success, and google.rpc.Status for errors. */
import type { Encoding } from './decode.js';
import { ExportLogsServiceResponse, ExportMetricsServiceResponse, ExportTraceServiceResponse, RpcStatus } from './schema.js';

export type Signal = 'traces' | 'logs' | 'metrics';

/** gRPC status codes used in google.rpc.Status bodies. */
export const GrpcCode = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

const RESPONSE = { traces: ExportTraceServiceResponse, logs: ExportLogsServiceResponse, metrics: ExportMetricsServiceResponse };
const REJECTED_FIELD = { traces: 'rejectedSpans', logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints' };

export function exportResponse(signal: Signal, encoding: Encoding, rejected: number, errorMessage: string): Uint8Array {
  const partialSuccess = rejected > 0 || errorMessage ? { [REJECTED_FIELD[signal]]: rejected, errorMessage } : undefined;
  if (encoding === 'json') {
    // proto3 JSON writes int64 as a decimal string.
    const body = partialSuccess ? { partialSuccess: { ...partialSuccess, [REJECTED_FIELD[signal]]: String(rejected) } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const type = RESPONSE[signal];
  return type.encode(type.create(partialSuccess ? { partialSuccess } : {})).finish();
}

export function statusBody(encoding: Encoding, code: number, message: string): Uint8Array {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return RpcStatus.encode(RpcStatus.create({ code, message })).finish();
}
