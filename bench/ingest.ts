/**
 * Figures 1 and 2: the receiver in one child process, the exporters in another. Spans and
 * event-loop delay are counted by the receiver between two marks, after a warm-up, while the
 * load runs on.
 */
import type { Config } from './config.js';
import { type Children, type ClientResult, type MarkReply, type ReceiverMessage, isType, nextMessage } from './ipc.js';
import type { ClientArgs } from './loadClient.js';
import type { ReceiverArgs, StoreMode } from './receiverProcess.js';

export interface IngestResult {
  spansPerSec: number;
  spans: number;
  seconds: number;
  requestsPerSec: number;
  receiverCpuPercent: number;
  loopDelay: NonNullable<MarkReply['loopDelay']>;
  client: ClientResult;
  storedAtEnd: number;
  tracesAtEnd: number;
  closeMs: number;
  dbBytes: number;
  receiverMaxRss: number;
  warnings: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface IngestRun {
  store: StoreMode;
  clients: number;
  seconds: number;
}

export async function runIngest(children: Children, payloadDir: string, dir: string, config: Config, run: IngestRun, profileDir?: string): Promise<IngestResult> {
  const { clients, seconds } = run;
  const receiverArgs: ReceiverArgs = { dir, store: run.store, resolutionMs: config.loopResolutionMs };
  const receiver = children.fork('receiverProcess', receiverArgs, { heapMb: config.heapMb, profileDir });
  const isReceiver = <T extends ReceiverMessage>(type: T['type']) => isType<T>(type);
  const { port } = await nextMessage(receiver, isReceiver<Extract<ReceiverMessage, { type: 'ready' }>>('ready'));
  const mark = async (): Promise<MarkReply> => {
    const reply = nextMessage(receiver, isReceiver<MarkReply>('mark'));
    receiver.send({ type: 'mark' });
    return reply;
  };
  const clientArgs: ClientArgs = {
    port,
    payloadDir,
    concurrency: clients,
    // The load runs on a little past the second mark, so the window never sees it wind down.
    durationMs: (config.ingestWarmupSeconds + seconds + 1) * 1000,
  };
  const client = children.fork('loadClient', clientArgs, { heapMb: 1024 });
  const clientDone = nextMessage(client, isType<ClientResult>('done'));
  await sleep(config.ingestWarmupSeconds * 1000);
  const first = await mark();
  await sleep(seconds * 1000);
  const second = await mark();
  const clientResult = await clientDone;
  const stoppedReply = nextMessage(receiver, isReceiver<Extract<ReceiverMessage, { type: 'stopped' }>>('stopped'));
  receiver.send({ type: 'stop' });
  const stopped = await stoppedReply;
  const measured = (second.at - first.at) / 1000;
  const spans = second.accepted - first.accepted;
  return {
    spansPerSec: spans / measured,
    spans,
    seconds: measured,
    requestsPerSec: (second.requests - first.requests) / measured,
    receiverCpuPercent: ((second.cpuMs - first.cpuMs) / (second.at - first.at)) * 100,
    loopDelay: second.loopDelay!,
    client: clientResult,
    storedAtEnd: stopped.spanCount,
    tracesAtEnd: stopped.traceCount,
    closeMs: stopped.closeMs,
    dbBytes: stopped.dbBytes,
    receiverMaxRss: stopped.memory.maxRss,
    warnings: stopped.warnings,
  };
}
