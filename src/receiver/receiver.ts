/**
 * The OTLP receiver: HTTP and gRPC servers on one host, each on its configured port or, when
 * that port is taken, on a free one (and it says so). Owned by whoever starts it; stop() ends both.
 */
import type http from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { Emitter } from '../core/events.js';
import type { Signal } from '../core/otlp/encode.js';
import { accessPolicy } from './access.js';
import { bindGrpc, createGrpcReceiver } from './grpcServer.js';
import { createHttpReceiver } from './httpServer.js';
import type { IngestSink, Logger } from './sink.js';

export interface ReceiverOptions {
  sink: IngestSink;
  log: Logger;
  host?: string;
  httpPort?: number;
  grpcPort?: number;
  maxBodyBytes?: number;
  /** When set, every request needs `Authorization: Bearer <token>`; required off loopback. */
  token?: string;
  /** Non-loopback origins browser apps may export from (loopback origins always may). */
  allowedOrigins?: readonly string[];
}

export interface ReceiverAddress {
  host: string;
  http: number;
  grpc: number;
  /** Ports that were taken, so another was used. */
  fellBack: { http: boolean; grpc: boolean };
}

export const DEFAULT_HTTP_PORT = 4318;
export const DEFAULT_GRPC_PORT = 4317;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export class OtlpReceiver {
  private httpServer: http.Server | undefined;
  private grpcServer: grpc.Server | undefined;
  private readonly received = new Emitter<{ signal: Signal; accepted: number }>();
  /** Fired after each accepted export request. */
  readonly onDidReceive = this.received.event;
  address: ReceiverAddress | undefined;

  constructor(private readonly options: ReceiverOptions) {}

  async start(): Promise<ReceiverAddress> {
    const { sink, log } = this.options;
    const host = this.options.host ?? '127.0.0.1';
    const maxBodyBytes = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // Throws before anything binds when the host is not loopback and no token is set.
    const access = accessPolicy({ host, token: this.options.token, allowedOrigins: this.options.allowedOrigins });
    for (const entry of access.ignoredOrigins) {
      log.warn(`[receiver] ignoring the allowed origin "${entry}": list exact origins such as http://192.168.1.5:3000 ("*" and "null" are not accepted)`);
    }
    const onRequest = (signal: Signal, accepted: number): void => this.received.fire({ signal, accepted });
    this.httpServer = createHttpReceiver({ sink, log, maxBodyBytes, access, onRequest });
    this.grpcServer = createGrpcReceiver({ sink, log, maxBodyBytes, access, onRequest });
    try {
      const wantHttp = this.options.httpPort ?? DEFAULT_HTTP_PORT;
      const wantGrpc = this.options.grpcPort ?? DEFAULT_GRPC_PORT;
      const httpPort = await withFallback(wantHttp, (p) => listenHttp(this.httpServer!, host, p));
      const grpcPort = await withFallback(wantGrpc, (p) => bindGrpc(this.grpcServer!, host, p));
      this.address = { host, http: httpPort, grpc: grpcPort, fellBack: { http: httpPort !== wantHttp && wantHttp !== 0, grpc: grpcPort !== wantGrpc && wantGrpc !== 0 } };
    } catch (err) {
      await this.stop();
      throw err;
    }
    const a = this.address;
    if (a.fellBack.http) log.warn(`[receiver] port ${this.options.httpPort ?? DEFAULT_HTTP_PORT} is taken (another collector or window?); OTLP/HTTP is on ${a.http} instead`);
    if (a.fellBack.grpc) log.warn(`[receiver] port ${this.options.grpcPort ?? DEFAULT_GRPC_PORT} is taken; OTLP/gRPC is on ${a.grpc} instead`);
    const guard = access.tokenDigest ? ', token required' : '';
    log.info(`[receiver] listening: OTLP/HTTP http://${host}:${a.http}, OTLP/gRPC ${host}:${a.grpc}${guard}`);
    return a;
  }

  async stop(): Promise<void> {
    const httpServer = this.httpServer;
    const grpcServer = this.grpcServer;
    this.httpServer = undefined;
    this.grpcServer = undefined;
    this.address = undefined;
    await Promise.all([
      httpServer &&
        new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeIdleConnections();
        }),
      grpcServer && new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())),
    ]);
  }

  dispose(): void {
    void this.stop();
    this.received.dispose();
  }
}

async function withFallback(port: number, bind: (port: number) => Promise<number>): Promise<number> {
  try {
    return await bind(port);
  } catch (err) {
    if (port !== 0 && isAddressInUse(err)) return bind(0);
    throw err;
  }
}

function isAddressInUse(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === 'EADDRINUSE' || /EADDRINUSE|address already in use|No address added out of total/i.test(e.message ?? '');
}

function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'));
  });
}
