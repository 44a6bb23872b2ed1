/**
 * The OTLP receiver: HTTP and gRPC servers on one host, each on its configured port or, when
 * that port is taken, on a free one (and it says so). Request bytes in flight are bounded by one
 * budget for both (inFlight.ts). A port lost while running is listened on again (portKeeper.ts)
 * and the change reported (onDidChange). Owned by whoever starts it; stop() ends both.
 */
import type http from 'node:http';
import type net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { Emitter } from '../core/events.js';
import type { Signal } from '../core/otlp/encode.js';
import { accessPolicy } from './access.js';
import { createGrpcReceiver, grpcSocketServer } from './grpcServer.js';
import { createHttpReceiver } from './httpServer.js';
import { DEFAULT_MAX_IN_FLIGHT_BYTES, InFlightBudget, type InFlightStats } from './inFlight.js';
import { type PortEvent, PortKeeper } from './portKeeper.js';
import type { IngestSink, Logger } from './sink.js';

export interface ReceiverOptions {
  sink: IngestSink;
  log: Logger;
  host?: string;
  httpPort?: number;
  grpcPort?: number;
  maxBodyBytes?: number;
  /** Request bytes held at once across HTTP and gRPC; default the larger of maxBodyBytes and 64 MB. */
  maxInFlightBytes?: number;
  /** When set, every request needs `Authorization: Bearer <token>`; required off loopback. */
  token?: string;
  /** Non-loopback origins browser apps may export from (loopback origins always may). */
  allowedOrigins?: readonly string[];
  /** Waits before each attempt to listen again on a lost port (tests shorten them). */
  retryDelaysMs?: readonly number[];
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

type Transport = 'http' | 'grpc';

/** A change while running: a port stopped listening, listens again, or could not. */
export type ReceiverChange =
  /** A port stopped listening without stop(); listening again is under way. */
  | { kind: 'recovering'; reason: string }
  /** Listening on every port again; `moved` when one is now on a different port. */
  | { kind: 'listening'; address: ReceiverAddress; moved: boolean }
  /** A port could not be listened on again; the receiver has stopped. */
  | { kind: 'stopped'; reason: string };

export class OtlpReceiver {
  private httpServer: http.Server | undefined;
  private grpcServer: grpc.Server | undefined;
  private grpcSocket: net.Server | undefined;
  private keepers: PortKeeper[] = [];
  private readonly budget: InFlightBudget;
  /** Transports listening again after a loss, and whether one moved meanwhile. */
  private readonly recovering = new Set<Transport>();
  private moved = false;
  private readonly received = new Emitter<{ signal: Signal; accepted: number }>();
  /** Fired after each accepted export request. */
  readonly onDidReceive = this.received.event;
  private readonly changed = new Emitter<ReceiverChange>();
  /** Fired when a port is lost while running, when it listens again, and when it gives up. */
  readonly onDidChange = this.changed.event;
  address: ReceiverAddress | undefined;

  constructor(private readonly options: ReceiverOptions) {
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.budget = new InFlightBudget(options.maxInFlightBytes ?? Math.max(maxBodyBytes, DEFAULT_MAX_IN_FLIGHT_BYTES));
  }

  /** Request bytes in flight across both transports (read-only counters). */
  get inFlight(): InFlightStats {
    return this.budget.stats;
  }

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
    const budget = this.budget;
    this.httpServer = createHttpReceiver({ sink, log, maxBodyBytes, access, onRequest, budget });
    this.grpcServer = createGrpcReceiver({ sink, log, maxBodyBytes, access, onRequest, budget });
    this.grpcSocket = grpcSocketServer(this.grpcServer);
    const keeper = (transport: Transport, server: net.Server, label: string): PortKeeper =>
      new PortKeeper({ server, host, label, log, retryDelaysMs: this.options.retryDelaysMs, onEvent: (e) => this.portEvent(transport, e) });
    const httpKeeper = keeper('http', this.httpServer, 'OTLP/HTTP');
    const grpcKeeper = keeper('grpc', this.grpcSocket, 'OTLP/gRPC');
    this.keepers = [httpKeeper, grpcKeeper];
    try {
      const wantHttp = this.options.httpPort ?? DEFAULT_HTTP_PORT;
      const wantGrpc = this.options.grpcPort ?? DEFAULT_GRPC_PORT;
      const httpPort = await httpKeeper.listen(wantHttp);
      const grpcPort = await grpcKeeper.listen(wantGrpc);
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

  private portEvent(transport: Transport, event: PortEvent): void {
    const address = this.address;
    if (!address) return; // stopping
    switch (event.kind) {
      case 'lost':
        if (!this.recovering.size) this.changed.fire({ kind: 'recovering', reason: event.reason });
        this.recovering.add(transport);
        return;
      case 'listening': {
        this.recovering.delete(transport);
        this.moved ||= event.moved;
        const want = transport === 'http' ? (this.options.httpPort ?? DEFAULT_HTTP_PORT) : (this.options.grpcPort ?? DEFAULT_GRPC_PORT);
        this.address = { ...address, [transport]: event.port, fellBack: { ...address.fellBack, [transport]: event.port !== want && want !== 0 } };
        if (this.recovering.size) return; // the other one is still on its way
        const moved = this.moved;
        this.moved = false;
        this.changed.fire({ kind: 'listening', address: this.address, moved });
        return;
      }
      case 'gaveUp':
        this.options.log.error(`[receiver] stopped: ${event.reason}`);
        void this.stop();
        this.changed.fire({ kind: 'stopped', reason: event.reason });
        return;
    }
  }

  async stop(): Promise<void> {
    const httpServer = this.httpServer;
    const grpcServer = this.grpcServer;
    const keepers = this.keepers;
    this.httpServer = undefined;
    this.grpcServer = undefined;
    this.grpcSocket = undefined;
    this.keepers = [];
    this.address = undefined;
    this.recovering.clear();
    this.moved = false;
    const closed = keepers.map((k) => k.close());
    httpServer?.closeIdleConnections();
    await Promise.all([...closed, grpcServer && new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()))]);
  }

  dispose(): void {
    void this.stop();
    this.received.dispose();
    this.changed.dispose();
  }
}
