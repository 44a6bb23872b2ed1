/**
 * Child process: the real OTLP receiver on loopback over an on-disk store, as the extension
 * host runs it: the store in its worker thread (StoreClient), or for comparison in the
 * receiver's own thread (SpanStore). The parent marks the start and end of the measured
 * window; between two marks this process reports spans stored, CPU used and the event-loop
 * delay of the receiver's thread.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { SpanStore } from '../src/core/store/spanStore.js';
import { StoreClient } from '../src/core/store/storeClient.js';
import { OtlpReceiver } from '../src/receiver/receiver.js';
import { type MarkReply, type ReceiverCommand, type ReceiverMessage, childArgs, memorySample, send } from './ipc.js';

export type StoreMode = 'worker' | 'inline';

export interface ReceiverArgs {
  dir: string;
  store: StoreMode;
  /** Sampling resolution of the event-loop delay monitor, ms. */
  resolutionMs: number;
}

async function main(): Promise<void> {
  const { dir, resolutionMs, store: mode } = childArgs<ReceiverArgs>();
  const file = path.join(dir, 'spans.db');
  const warnings: string[] = [];
  // As the extension host and `spanlens serve` run it: the store in its worker thread ('worker');
  // 'inline' for comparison. No retention: the figure is the rate of spans that end up stored
  // (with the default retention, deleting the oldest traces takes its own share of the store's time).
  const options = { path: file, onWarning: (m: string) => warnings.push(m) };
  const store = mode === 'worker' ? await StoreClient.open(options) : await SpanStore.open(options);
  let requests = 0;
  // Counted as accepted rather than from the store's span count, which retention (when on) lowers.
  let accepted = 0;
  const log = { info: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const receiver = new OtlpReceiver({ sink: store, log, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
  receiver.onDidReceive((e) => {
    requests++;
    accepted += e.accepted;
  });
  const address = await receiver.start();

  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  let marks = 0;
  const reply = (m: ReceiverMessage): Promise<void> => send(m);

  process.on('message', (raw: ReceiverCommand) => {
    void (async () => {
      if (raw.type === 'mark') {
        const mark: MarkReply = { type: 'mark', at: performance.now(), spanCount: store.spanCount, accepted, cpuMs: cpuMs(), requests };
        if (marks++ > 0) {
          delay.disable();
          const ms = (ns: number): number => ns / 1e6;
          mark.loopDelay = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) };
        }
        delay.reset();
        delay.enable();
        await reply(mark);
      } else if (raw.type === 'stop') {
        delay.disable();
        await receiver.stop();
        const spanCount = store.spanCount;
        const traceCount = store instanceof StoreClient ? await store.call('traceCount') : store.traceCount();
        const t = performance.now();
        await store.close();
        const closeMs = performance.now() - t;
        await reply({ type: 'stopped', spanCount, traceCount, closeMs, dbBytes: statSync(file).size, memory: memorySample(), warnings: warnings.slice(0, 5) });
        process.disconnect();
      }
    })();
  });
  await reply({ type: 'ready', port: address.http });
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

void main().catch((err: Error) => {
  process.stderr.write(`[bench receiver] ${err.stack ?? err.message}\n`);
  process.exit(1);
});
