/**
 * OTLP/gRPC: TraceService/Export, LogsService/Export (and MetricsService/Export, accepted and
 * dropped) with @grpc/grpc-js. Messages pass through as raw bytes and are decoded by the same
 * code as OTLP/HTTP; grpc-js enforces the size limit after decompression (RESOURCE_EXHAUSTED).
 * With a token set, calls without `authorization: Bearer <token>` metadata are UNAUTHENTICATED.
 * Each call's message counts against the receiver's in-flight budget (shared with OTLP/HTTP), and
 * past it the call waits for room before its message is read, up to its deadline. The receiver
 * owns the listening socket (grpcSocketServer), so it sees when that socket stops listening.
 */
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Signal } from '../core/otlp/encode.js';
import { exportResponse } from '../core/otlp/encode.js';
import { type AccessPolicy, decideGrpc } from './access.js';
import type { InFlightBudget } from './inFlight.js';
import { type IngestResult, ingest } from './ingest.js';
import type { IngestSink, Logger } from './sink.js';

export interface GrpcReceiverOptions {
  sink: IngestSink;
  log: Logger;
  maxBodyBytes: number;
  access: AccessPolicy;
  onRequest?: (signal: Signal, accepted: number) => void;
  /** Bytes in flight across the receiver (inFlight.ts). */
  budget: InFlightBudget;
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
    interceptors: [budgetInterceptor(options)],
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
  const giveUpAt = waitLimit(deadline);
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

/** When a call waiting for room gives up: before its deadline, so the answer still reaches it. */
function waitLimit(deadline: grpc.Deadline): number {
  const due = typeof deadline === 'number' ? deadline : deadline.getTime();
  return Math.min(Number.isFinite(due) ? due - DEADLINE_MARGIN_MS : Infinity, Date.now() + MAX_WAIT_MS);
}

/** Shortest gap between two log lines about calls answered UNAVAILABLE for want of room. */
const BUSY_LOG_EVERY_MS = 10_000;

/**
 * Holds each call's message to the in-flight budget. grpc-js reads a call's message only once
 * its metadata is passed on, so a call waits here before it is read (HTTP/2 flow control keeps
 * the rest at the client): the budget bounds the messages held, not only those being decoded.
 * The size is unknown until read, so a call reserves the size of recent messages on its method
 * (at first the largest allowed, or the whole budget) and settles to the real size once read:
 * a message larger than its guess is counted in full (it is in memory already), which may pass
 * the budget until it is answered, and new calls wait meanwhile. The share is held until the
 * call is answered, through any wait for the store.
 */
function budgetInterceptor(options: GrpcReceiverOptions): grpc.ServerInterceptor {
  const { budget, log } = options;
  const recent = new Map<string, number>();
  let lastBusyLog = 0;
  let unloggedBusy = 0;
  return (method, call) => {
    const share = budget.share();
    const ended = new AbortController();
    const giveUpAt = waitLimit(call.getDeadline());
    const done = (): void => {
      ended.abort();
      share.release();
    };
    const busy = (): void => {
      if (ended.signal.aborted) return; // cancelled or answered meanwhile
      const details = `Spanlens is busy: ${budget.describe()}; retry shortly`;
      unloggedBusy++;
      if (Date.now() - lastBusyLog >= BUSY_LOG_EVERY_MS) {
        log.warn(`[receiver] ${unloggedBusy} gRPC export(s) answered UNAVAILABLE at their deadline, still waiting for room: ${budget.describe()}`);
        lastBusyLog = Date.now();
        unloggedBusy = 0;
      }
      done();
      call.sendStatus({ code: grpc.status.UNAVAILABLE, details });
    };
    let exempt = false;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            // A call refused for its token takes no share; the handler answers it.
            const auth = metadata.get('authorization')[0];
            if (!decideGrpc(options.access, typeof auth === 'string' ? auth : undefined).ok) {
              exempt = true;
              return pass(metadata);
            }
            const guess = (): number => Math.min(recent.get(method.path) ?? options.maxBodyBytes, options.maxBodyBytes, budget.limit);
            void budget.takeWhenRoom(share, guess, giveUpAt, ended.signal).then((ok) => (ok ? pass(metadata) : busy()));
          },
          onReceiveMessage: (message: Buffer, pass) => {
            const size = message.length;
            // Follows the larger messages and forgets them slowly.
            recent.set(method.path, Math.max(size, Math.round((recent.get(method.path) ?? size) * 0.75)));
            if (!exempt && !ended.signal.aborted) share.settle(size);
            pass(message);
          },
          onCancel: done,
        }),
      sendStatus: (status, pass) => {
        done();
        pass(status);
      },
    });
  };
}

/**
 * The gRPC listening socket, owned by the receiver instead of grpc-js (bindAsync), whose
 * listeners are out of reach: the receiver can then tell when the socket stops listening and
 * listen again. Each connection is handed to the gRPC server.
 */
export function grpcSocketServer(server: grpc.Server): net.Server {
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return net.createServer((socket) => injector.injectConnection(socket));
}
