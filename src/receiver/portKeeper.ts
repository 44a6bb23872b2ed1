/**
 * Keeps one server on its port. A listening server can stop without the receiver closing it
 * (something else in the process closed it, its socket failed), and nothing else would notice:
 * every export would fail until a restart. The keeper notices, says why, listens again on the
 * same port (the programs already running send there) with a short backoff, then on a free port
 * when that one is taken, as at start, and reports where it ended up, or that it gave up.
 */
import type net from 'node:net';
import type { Logger } from './sink.js';

export type PortEvent =
  /** Stopped listening; listening again is under way. */
  | { kind: 'lost'; reason: string }
  /** Listening again, on the same port or (`moved`) a free one. */
  | { kind: 'listening'; port: number; moved: boolean }
  /** Could not listen again; the keeper has stopped. */
  | { kind: 'gaveUp'; reason: string };

export interface PortKeeperOptions {
  server: net.Server;
  host: string;
  /** Names the server in log lines, e.g. "OTLP/HTTP". */
  label: string;
  log: Logger;
  onEvent(event: PortEvent): void;
  /** Waits before each new attempt on the same port (default 100, 300 and 1000 ms). */
  retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [100, 300, 1000];
/**
 * How often `listening` is checked. The 'close' event comes only once every open connection
 * has ended, and gRPC exporters keep theirs open, so it alone could be late by minutes.
 */
const CHECK_EVERY_MS = 1000;

export class PortKeeper {
  private closed = false;
  private recovering = false;
  private timer: NodeJS.Timeout | undefined;
  private current = 0;
  /** Errors logged while still listening (accept failures such as EMFILE repeat per connection). */
  private readonly loggedErrors = new Set<string>();

  constructor(private readonly options: PortKeeperOptions) {}

  get port(): number {
    return this.current;
  }

  /** Listens on `port`, or on a free one when it is taken; resolves to the port, rejects with the bind error. */
  async listen(port: number): Promise<number> {
    this.current = await withFallback(port, (p) => listenOn(this.options.server, this.options.host, p));
    this.watch();
    return this.current;
  }

  /** Stops listening for good; resolves once the server has closed. */
  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const { server } = this.options;
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private watch(): void {
    const { server } = this.options;
    server.on('close', () => this.check());
    server.on('error', (err: Error) => {
      if (this.closed || this.recovering) return; // a listen attempt's own error, handled there
      if (!server.listening) return this.lost(err.message);
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      if (this.loggedErrors.has(code)) return;
      this.loggedErrors.add(code);
      this.options.log.warn(`[receiver] ${this.options.label} on ${this.where()}: ${err.message} (still listening)`);
    });
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS).unref();
  }

  private check(): void {
    if (this.closed || this.recovering || this.options.server.listening) return;
    this.lost('its listening socket was closed, not by Spanlens');
  }

  private lost(reason: string): void {
    this.recovering = true;
    this.options.log.warn(`[receiver] ${this.options.label} stopped listening on ${this.where()} (${reason}); listening again`);
    this.options.onEvent({ kind: 'lost', reason });
    void this.recover(reason);
  }

  private async recover(reason: string): Promise<void> {
    const { server, host, label, log } = this.options;
    const was = this.current;
    let last: unknown;
    for (const delay of this.options.retryDelaysMs ?? RETRY_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.closed) return;
      try {
        await listenOn(server, host, was);
        return this.recovered(was, false);
      } catch (err) {
        last = err;
      }
    }
    // Taken by someone else meanwhile: a free port, as at start.
    if (isAddressInUse(last) && !this.closed) {
      try {
        return this.recovered(await listenOn(server, host, 0), true);
      } catch (err) {
        last = err;
      }
    }
    if (this.closed) return;
    this.closed = true;
    this.recovering = false;
    clearInterval(this.timer);
    log.error(`[receiver] ${label} cannot listen on ${this.where()} again: ${(last as Error)?.message ?? last}`);
    this.options.onEvent({ kind: 'gaveUp', reason: `${label} lost port ${was} (${reason}) and cannot listen again: ${(last as Error)?.message ?? last}` });
  }

  private recovered(port: number, moved: boolean): void {
    if (this.closed) {
      // Stopped while the listen was under way.
      this.options.server.close();
      return;
    }
    const was = this.current;
    this.current = port;
    this.recovering = false;
    const { label, log } = this.options;
    if (moved) log.warn(`[receiver] port ${was} is taken now; ${label} moved to ${this.where()} (programs started earlier still send to ${was})`);
    else log.info(`[receiver] ${label} is listening on ${this.where()} again`);
    this.options.onEvent({ kind: 'listening', port, moved });
  }

  private where(): string {
    return `${this.options.host}:${this.current}`;
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
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(e?.message ?? '');
}

function listenOn(server: net.Server, host: string, port: number): Promise<number> {
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
