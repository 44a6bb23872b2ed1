/**
 * One soak session: the receiver child, the producer children, and the ledger of what the
 * exporters were told was stored (acknowledged trace ids with span counts) against what
 * retention deleted and what the store holds at the end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isType, nextMessage } from '../../bench/ipc.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import type { MemorySample } from './memory.js';
import type { ExporterKind, ExporterSpec, ProducerCommand, ProducerMessage, ReceiverArgs, ReceiverCommand, ReceiverMark, ReceiverMessage } from './protocol.js';

type Of<U, T> = Extract<U, { type: T }>;

/** A wait that does not keep the process alive. */
const grace = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
const exited = (child: ChildProcess): Promise<unknown> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)));

/** Lower CPU priority of the producer processes (nice): they yield the CPU to the receiver under test. */
const PRODUCER_NICENESS = 10;

const KINDS: ExporterKind[] = ['proto', 'json', 'grpc', 'proto-gzip'];

/** `count` exporters, the kinds in turn, half of each kind through a BatchSpanProcessor. */
export function exporterMix(count: number): ExporterSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `soak-app-${i + 1}`,
    kind: KINDS[i % KINDS.length]!,
    via: (i + Math.floor(i / KINDS.length)) % 2 ? 'batch' : 'direct',
    phase: i / count,
  }));
}

export interface SessionOptions {
  exporters: ExporterSpec[];
  /** Child processes the exporters are spread over. */
  producers: number;
  retention: ReceiverArgs['retention'];
  viewsEveryMs: number;
  loopResolutionMs: number;
  poolBatches: number;
  maxPendingBatches?: number;
  /** Write CPU profiles of the receiver's process (both threads) here. */
  profileDir?: string;
}

export interface Ledger {
  ackedSpans: number;
  ackedTraces: number;
  /** Acknowledged spans whose trace retention deleted later (so it had been stored). */
  deletedByRetention: number;
  /** Acknowledged spans found in the store at the end. */
  present: number;
  /** Acknowledged spans neither in the store nor deleted by retention: must be 0. */
  lost: number;
  lostTraceIds: string[];
  /** Spans the store inserted (its change events): at least the acknowledged ones. */
  inserted: number;
  spanCount: number;
  /** The runs left at the end (one app each here), newest first. */
  runs: { service: string; traces: number }[];
}

export class Session {
  private readonly children = new Set<ChildProcess>();
  private readonly acked = new Map<string, number>();
  private readonly deleted = new Set<string>();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'spanlens-soak-'));
  receiver!: ChildProcess;
  producers: ChildProcess[] = [];
  baseline!: MemorySample;

  constructor(private readonly options: SessionOptions) {}

  private fork(file: string, args: unknown, execArgv: string[]): ChildProcess {
    const child = fork(path.join(__dirname, file), [JSON.stringify(args)], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  private receiverArgs(): ReceiverArgs {
    const o = this.options;
    return { dir: this.dir, retention: o.retention, viewsEveryMs: o.viewsEveryMs, loopResolutionMs: o.loopResolutionMs, maxPendingBatches: o.maxPendingBatches };
  }

  async start(): Promise<void> {
    const o = this.options;
    const profile = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
    this.receiver = this.fork('receiverChild.ts', this.receiverArgs(), ['--expose-gc', '--max-old-space-size=4096', ...profile]);
    this.receiver.on('message', (m: ReceiverMessage) => {
      if (m.type === 'deleted') for (const id of m.traceIds) this.deleted.add(id);
    });
    const ready = await this.fromReceiver<Of<ReceiverMessage, 'ready'>>('ready');
    this.baseline = ready.memory;
    const groups = Array.from({ length: Math.min(o.producers, o.exporters.length) }, (_, p) => o.exporters.filter((_e, i) => i % o.producers === p));
    this.producers = groups.map((exporters, p) =>
      this.fork('producerChild.ts', { exporters, httpUrl: `http://127.0.0.1:${ready.http}`, grpcUrl: `http://127.0.0.1:${ready.grpc}`, poolBatches: o.poolBatches, seed: 1000 * (p + 1) }, ['--max-old-space-size=2048']),
    );
    for (const producer of this.producers) {
      // The load generators stand in for other machines: on a 2-core box they would otherwise take
      // the receiver's CPU and the figures would measure the scheduler, not the receiver.
      try {
        os.setPriority(producer.pid!, PRODUCER_NICENESS);
      } catch {
        // Not permitted here: the producers compete at the same priority, as before.
      }
      producer.on('message', (m: ProducerMessage) => {
        if (m.type === 'acked') for (const [id, n] of m.traces) this.acked.set(id, (this.acked.get(id) ?? 0) + n);
      });
    }
    await Promise.all(this.producers.map((p) => nextMessage(p, isType<Of<ProducerMessage, 'ready'>>('ready'))));
  }

  private fromReceiver<T extends ReceiverMessage>(type: T['type']): Promise<T> {
    return nextMessage(this.receiver, isType<T>(type));
  }

  private ask<T extends ReceiverMessage>(command: ReceiverCommand, answer: T['type']): Promise<T> {
    const reply = this.fromReceiver<T>(answer);
    this.receiver.send(command);
    return reply;
  }

  mark(measure = false): Promise<ReceiverMark> {
    return this.ask<ReceiverMark>({ type: 'mark', measure }, 'mark');
  }

  /** Sends a command to every producer; resolves with their reports once all are done. */
  produce(command: ProducerCommand): Promise<Of<ProducerMessage, 'done'>[]> {
    return Promise.all(
      this.producers.map((p) => {
        const done = nextMessage(p, isType<Of<ProducerMessage, 'done'>>('done'));
        p.send(command);
        return done;
      }),
    );
  }

  async settle(): Promise<MemorySample> {
    return (await this.ask<Of<ReceiverMessage, 'settled'>>({ type: 'settle' }, 'settled')).memory;
  }

  /** Looks for every acknowledged trace in the store (or among those retention deleted). */
  async verify(): Promise<Ledger> {
    const inventory = await this.ask<Of<ReceiverMessage, 'inventory'>>({ type: 'inventory' }, 'inventory');
    const stored = new Map(inventory.traces);
    const ledger: Ledger = { ackedSpans: 0, ackedTraces: this.acked.size, deletedByRetention: 0, present: 0, lost: 0, lostTraceIds: [], inserted: inventory.inserted, spanCount: inventory.spanCount, runs: inventory.runs };
    for (const [id, n] of this.acked) {
      ledger.ackedSpans += n;
      if (this.deleted.has(id)) ledger.deletedByRetention += n;
      else {
        const have = Math.min(n, stored.get(id) ?? 0);
        ledger.present += have;
        if (have < n) {
          ledger.lost += n - have;
          if (ledger.lostTraceIds.length < 10) ledger.lostTraceIds.push(id);
        }
      }
    }
    return ledger;
  }

  /** Stops the producers and the receiver (which closes the store), then reopens the file. */
  async stop(): Promise<{ stopped: Of<ReceiverMessage, 'stopped'>; reopenedSpans: number }> {
    for (const p of this.producers) p.send({ type: 'stop' } satisfies ProducerCommand);
    const stopped = await this.ask<Of<ReceiverMessage, 'stopped'>>({ type: 'stop' }, 'stopped');
    // Let the children end on their own (a CPU profile is written on exit); dispose() ends any that hang.
    await Promise.race([Promise.all([this.receiver, ...this.producers].map(exited)), grace(5000)]);
    const reopened = await SpanStore.open({ path: path.join(this.dir, 'spans.db'), readOnly: true });
    const reopenedSpans = reopened.spanCount;
    await reopened.close();
    return { stopped, reopenedSpans };
  }

  /**
   * The baseline for what retention kept: a new receiver process (the same one, with its store
   * worker) opened on the store the session left, its memory settled before any load. Call after stop().
   */
  async freshBaseline(): Promise<MemorySample> {
    this.receiver = this.fork('receiverChild.ts', this.receiverArgs(), ['--expose-gc']);
    const { memory } = await this.fromReceiver<Of<ReceiverMessage, 'ready'>>('ready');
    await this.ask<Of<ReceiverMessage, 'stopped'>>({ type: 'stop' }, 'stopped');
    await Promise.race([exited(this.receiver), grace(5000)]);
    return memory;
  }

  /** Ends whatever child still runs (each by its own handle) and removes the files. */
  dispose(): void {
    for (const child of this.children) child.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
