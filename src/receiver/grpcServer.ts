/**
 * OTLP/gRPC: TraceService/Export, LogsService/Export (and MetricsService/Export, accepted and
 * dropped) with @grpc/grpc-js. Messages pass through as raw bytes and are decoded by the same
 * code as OTLP/HTTP; grpc-js enforces the size limit after decompression (RESOURCE_EXHAUSTED).
 * With a token set, calls without `authorization: Bearer <token>` metadata are UNAUTHENTICATED.
 */
import * as grpc from '@grpc/grpc-js';
import type { Signal } from '../core/otlp/encode.js';
import { exportResponse } from '../core/otlp/encode.js';
import { type AccessPolicy, decideGrpc } from './access.js';
import { type IngestResult, ingest } from './ingest.js';
import type { IngestSink, Logger } from './sink.js';

export interface GrpcReceiverOptions {
  sink: IngestSink;
  log: Logger;
  maxBodyBytes: number;
  access: AccessPolicy;
  onRequest?: (signal: Signal, accepted: number) => void;
}

const raw = (b: Buffer): Buffer => b;

function exportMethod(service: string): grpc.ServiceDefinition {
  return {
    Export: {
      path: `/opentelemetry.proto.collector.${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  };
}

const SERVICES: [Signal, string][] = [
  ['traces', 'trace.v1.TraceService'],
  ['logs', 'logs.v1.LogsService'],
  ['metrics', 'metrics.v1.MetricsService'],
];

export function createGrpcReceiver(options: GrpcReceiverOptions): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxBodyBytes,
  });
  let refusalLogged = false;
  for (const [signal, service] of SERVICES) {
    const Export: grpc.handleUnaryCall<Buffer, Buffer> = async (call, callback) => {
      const auth = call.metadata.get('authorization')[0];
      const access = decideGrpc(options.access, typeof auth === 'string' ? auth : undefined);
      if (!access.ok) {
        // Once: a client without the token retries every export.
        if (!refusalLogged) options.log.warn(`[receiver] refused a gRPC ${signal} call: ${access.message}`);
        refusalLogged = true;
        callback({ code: grpc.status.UNAUTHENTICATED, details: access.message });
        return;
      }
      try {
        const result = await ingestWhenRoom(() => ingest(options.sink, signal, 'protobuf', call.request), call.getDeadline());
        if (!result.ok && result.busy) {
          callback({ code: grpc.status.UNAVAILABLE, details: result.message });
          return;
        }
        if (!result.ok) {
          options.log.warn(`[receiver] rejected a gRPC ${signal} request: ${result.message}`);
          callback({ code: grpc.status.INVALID_ARGUMENT, details: result.message });
          return;
        }
        if (result.rejected) options.log.warn(`[receiver] partial success on gRPC ${signal}: ${result.message}`);
        options.onRequest?.(signal, result.accepted);
        callback(null, Buffer.from(exportResponse(signal, 'protobuf', result.rejected, result.message)));
      } catch (err) {
        options.log.error(`[receiver] gRPC ${signal} export failed: ${(err as Error).stack ?? err}`);
        callback({ code: grpc.status.INTERNAL, details: `internal error: ${(err as Error).message}` });
      }
    };
    server.addService(exportMethod(service), { Export });
  }
  return server;
}

/** Longest a call without a deadline waits for the store to have room. */
const MAX_WAIT_MS = 10_000;
/** A call is answered this long before its deadline at the latest, so the answer still reaches it. */
const DEADLINE_MARGIN_MS = 200;

/**
 * Ingests, waiting for room while the store is busy, up to the call's deadline. OTLP/HTTP
 * answers busy with 503 and exporters retry; the OpenTelemetry JS gRPC exporter does not retry
 * UNAVAILABLE (Go, Java and Python do) and would drop the batch, so gRPC waits instead.
 */
async function ingestWhenRoom(attempt: () => Promise<IngestResult>, deadline: grpc.Deadline): Promise<IngestResult> {
  const due = typeof deadline === 'number' ? deadline : deadline.getTime();
  const giveUpAt = Math.min(Number.isFinite(due) ? due - DEADLINE_MARGIN_MS : Infinity, Date.now() + MAX_WAIT_MS);
  let pause = 25;
  for (;;) {
    const result = await attempt();
    if (result.ok || !result.busy) return result;
    // Jittered, so that waiting calls do not all come back at once.
    const wait = Math.min(pause * (0.5 + Math.random()), giveUpAt - Date.now());
    if (wait <= 0) return result;
    await new Promise((resolve) => setTimeout(resolve, wait));
    pause = Math.min(pause * 2, 400);
  }
}

/** Binds to host:port, resolving to the bound port; rejects with the bind error. */
export function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // An IPv6 address needs brackets in a gRPC target.
    const target = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    server.bindAsync(`${target}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
