/**
 * Child process: the receiver as the extension host runs it — OtlpReceiver on loopback, the
 * store in its worker (StoreClient) persisted to a file, retention on — while "the views are
 * open": every few hundred ms it asks the store what the tree and an open timeline ask on
 * refresh (runs, a run's traces, the newest trace's rows, one span's detail). It measures the
 * event-loop delay of this thread, which is the extension host's, and reports retention's
 * deletions as they happen so the orchestrator can account for every acknowledged span.
 */
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type http from 'node:http';
import { childArgs, send } from '../../bench/ipc.js';
import { distribution } from '../../bench/stats.js';
import { StoreBusyError, StoreClient } from '../../src/core/store/storeClient.js';
import { OtlpReceiver } from '../../src/receiver/receiver.js';
import type { IngestSink } from '../../src/receiver/sink.js';
import { sampleMemory, settledMemory } from './memory.js';
import type { LoopDelay, ReceiverArgs, ReceiverCommand, ReceiverMessage } from './protocol.js';

const reply = (m: ReceiverMessage): Promise<void> => send(m);

function delayOf(h: IntervalHistogram): LoopDelay {
  const ms = (ns: number): number => ns / 1e6;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function main(): Promise<void> {
  const args = childArgs<ReceiverArgs>();
  const warnings: string[] = [];
  const store = await StoreClient.open({ path: path.join(args.dir, 'spans.db'), retention: args.retention, onWarning: (m) => warnings.push(m) }, args.maxPendingBatches);
  let inserted = 0;
  let deleted: string[] = [];
  store.onDidChange((c) => {
    inserted += c.spans;
    if (c.deletedTraceIds.length) deleted.push(...c.deletedTraceIds);
  });
  const flushDeleted = async (): Promise<void> => {
    if (!deleted.length) return;
    const traceIds = deleted;
    deleted = [];
    await reply({ type: 'deleted', traceIds });
  };
  const flushTimer = setInterval(() => void flushDeleted(), 250);

  let storeBusy = 0;
  const sink: IngestSink = {
    addSpans: (spans, raw) =>
      store.addSpans(spans, raw).catch((err: unknown) => {
        if (err instanceof StoreBusyError) storeBusy++;
        throw err;
      }),
    addLogs: (logs, raw) => store.addLogs(logs, raw),
  };
  const log = { info: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const receiver = new OtlpReceiver({ sink, log, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
  let accepted = 0;
  receiver.onDidReceive((e) => (accepted += e.accepted));
  const address = await receiver.start();
  // Every HTTP answer by status, 503s included (the receiver itself counts only accepted requests).
  const statuses: Record<string, number> = {};
  (receiver['httpServer'] as http.Server).on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('finish', () => (statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1));
  });

  const views = { cycles: 0, errors: 0, gone: 0, ms: [] as number[], firstError: undefined as string | undefined };
  let viewsTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const viewsCycle = async (): Promise<void> => {
    if (stopping) return;
    const t = performance.now();
    try {
      const runs = await store.call('listRuns');
      for (const run of runs.slice(0, 2)) await store.call('listTraces', 1000, 0, run.runId);
      const newest = (await store.call('listTraces', 50, 0))[0];
      const view = newest && (await store.traceView(newest.traceId));
      const span = view?.spans[view.spans.length - 1];
      if (span) await store.spanDetail(view.traceId, span.id);
      views.cycles++;
      views.ms.push(performance.now() - t);
    } catch (err) {
      // Retention may delete the trace between two queries, as it may under an open timeline.
      const message = (err as Error).message;
      if (/is not in trace .* \(any more\)/.test(message)) views.gone++;
      else {
        views.errors++;
        views.firstError ??= message;
      }
    }
    viewsTimer = setTimeout(() => void viewsCycle(), args.viewsEveryMs);
  };

  const whole = monitorEventLoopDelay({ resolution: args.loopResolutionMs });
  const interval = monitorEventLoopDelay({ resolution: args.loopResolutionMs });
  let marks = 0;

  process.on('message', (command: ReceiverCommand) => {
    void (async () => {
      switch (command.type) {
        case 'mark': {
          const m = sampleMemory();
          const mark: ReceiverMessage = { type: 'mark', at: performance.now(), accepted, inserted, spanCount: store.spanCount, rss: m.rss, heapUsed: m.heapUsed, cpuMs: cpuMs() };
          if (marks++ === 0) void viewsCycle();
          else mark.loopDelay = delayOf(interval);
          if (command.measure) whole.enable();
          interval.reset();
          interval.enable();
          await reply(mark);
          break;
        }
        case 'settle':
          // The load is over: what follows (full collections, the inventory) is not the load's delay.
          whole.disable();
          interval.disable();
          await reply({ type: 'settled', memory: { ...(await settledMemory()), store: await store.call('memory') } });
          break;
        case 'inventory': {
          // Deletions before this listing reach the worker's reply first: flush them before it.
          const traces = await store.call('listTraces', 10_000_000, 0);
          const runs = (await store.call('listRuns')).map((r) => ({ service: r.service, traces: r.traceCount }));
          await flushDeleted();
          await reply({ type: 'inventory', traces: traces.map((t) => [t.traceId, t.spanCount]), spanCount: store.spanCount, inserted, runs });
          break;
        }
        case 'stop': {
          stopping = true;
          whole.disable();
          interval.disable();
          clearTimeout(viewsTimer);
          clearInterval(flushTimer);
          await receiver.stop();
          await flushDeleted();
          const spanCount = store.spanCount;
          const grpcWaited = receiver.inFlight.waited;
          await store.close();
          await reply({
            type: 'stopped',
            statuses,
            storeBusy,
            grpcWaited,
            views: { cycles: views.cycles, errors: views.errors, gone: views.gone, cycleMs: distribution(views.ms), firstError: views.firstError },
            loopDelay: delayOf(whole),
            spanCount,
            maxRss: process.resourceUsage().maxRSS * 1024,
            warnings: warnings.slice(0, 10),
          });
          process.disconnect();
          break;
        }
      }
    })().catch((err: Error) => {
      process.stderr.write(`[soak receiver] ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  });
  await reply({ type: 'ready', http: address.http, grpc: address.grpc, memory: { ...(await settledMemory()), store: await store.call('memory') } });
}

void main().catch((err: Error) => {
  process.stderr.write(`[soak receiver] ${err.stack ?? err.message}\n`);
  process.exit(1);
});
