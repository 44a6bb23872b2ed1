/** Starts the real receiver on free loopback ports with a real store, for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { OtlpReceiver, type ReceiverAddress } from '../../src/receiver/receiver.js';
import type { Logger } from '../../src/receiver/sink.js';

export interface RunningReceiver {
  store: SpanStore;
  receiver: OtlpReceiver;
  address: ReceiverAddress;
  httpUrl: string;
  logs: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  maxBodyBytes?: number;
  persist?: boolean;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  token?: string;
  allowedOrigins?: string[];
}

export async function startReceiver(opts: StartOptions = {}): Promise<RunningReceiver> {
  const dir = opts.persist ? mkdtempSync(path.join(tmpdir(), 'spanlens-it-')) : undefined;
  const store = await SpanStore.open({ path: dir ? path.join(dir, 'spans.db') : undefined });
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const receiver = new OtlpReceiver({ sink: store, log, host: opts.host, httpPort: 0, grpcPort: 0, maxBodyBytes: opts.maxBodyBytes, token: opts.token, allowedOrigins: opts.allowedOrigins });
  let address: ReceiverAddress;
  try {
    address = await receiver.start();
  } catch (err) {
    await store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    store,
    receiver,
    address,
    httpUrl: `http://127.0.0.1:${address.http}`,
    logs,
    async stop() {
      await receiver.stop();
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` returns a value that is not undefined, polling. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
