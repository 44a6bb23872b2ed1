/**
 * The soak and the overload run, shared by `npm run soak` (bench/soak.ts, minutes) and the
 * integration test (seconds). Loopback only; bounded in time (the load stops on the clock)
 * and in count (each exporter has at most `maxInFlight` exports out, each of 512 spans).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEFAULT_RETENTION } from '../../src/core/store/spanStore.js';
import type { MemorySample } from './memory.js';
import type { ExporterStats, LoopDelay, ProducerMessage, ReceiverArgs, ReceiverMark, ReceiverMessage } from './protocol.js';
import { type Ledger, Session, type SessionOptions, exporterMix } from './session.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SoakOptions {
  seconds: number;
  exporters: number;
  /** All exporters together, spans per second. */
  spansPerSec: number;
  producers: number;
  maxInFlight: number;
  retention: ReceiverArgs['retention'];
  viewsEveryMs: number;
  /** Seconds between progress marks (memory, event-loop delay per interval). */
  markEverySeconds: number;
  /**
   * Seconds the receiver idles after the load before its memory is measured: retention needs about
   * one; V8 gives back the heap pages it grew into after several seconds of low allocation.
   */
  idleSeconds: number;
  /** CPU profiles of the receiver's process go here. */
  profileDir?: string;
  progress?: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = {
  seconds: 300,
  exporters: 8,
  spansPerSec: 55_000,
  producers: 2,
  maxInFlight: 4,
  // The extension's defaults: 5,000 traces is reached within seconds at these rates.
  retention: { maxTraces: DEFAULT_RETENTION.maxTraces, maxBytes: DEFAULT_RETENTION.maxBytes },
  viewsEveryMs: 250,
  markEverySeconds: 10,
  idleSeconds: 1.5,
};

export interface Producers {
  exporters: ExporterStats[];
  retries: number;
  gaveUp: number;
  droppedByProcessor: number;
  cpuSeconds: number;
}

export interface RunResult {
  /** Load time: from the start until every export ended. */
  seconds: number;
  ledger: Ledger;
  producers: Producers;
  statuses: Record<string, number>;
  storeBusy: number;
  /** gRPC calls that waited for room before their message was read. */
  grpcWaited: number;
  loopDelay: LoopDelay;
  /**
   * The same measure in the orchestrator, a process with almost nothing to do: what the machine
   * alone adds (other processes competing for the cores), to read the receiver's figure against.
   */
  idleLoopDelay: LoopDelay;
  marks: (ReceiverMark & { atSeconds: number })[];
  /**
   * `baseline`: the receiver process at the start (an empty store); `after`: once the load is over,
   * retention has run and garbage is collected; `retained`: a new receiver process opened on the
   * store as the session left it, before any load (the baseline for the data retention kept).
   */
  memory: { baseline: MemorySample; after: MemorySample; retained: MemorySample; maxRss: number; idleSeconds: number };
  views: Extract<ReceiverMessage, { type: 'stopped' }>['views'];
  reopenedSpans: number;
  spanCountAtStop: number;
  receiverCpuPercent: number;
  warnings: string[];
}

function sessionOptions(o: Pick<SoakOptions, 'exporters' | 'producers' | 'retention' | 'viewsEveryMs'>): SessionOptions {
  return { exporters: exporterMix(o.exporters), producers: o.producers, retention: o.retention, viewsEveryMs: o.viewsEveryMs, loopResolutionMs: 10, poolBatches: 8 };
}

function merge(reports: Extract<ProducerMessage, { type: 'done' }>[]): Producers {
  return {
    exporters: reports.flatMap((r) => r.exporters),
    retries: reports.reduce((n, r) => n + r.retries, 0),
    gaveUp: reports.reduce((n, r) => n + r.gaveUp, 0),
    droppedByProcessor: reports.reduce((n, r) => n + r.exporters.reduce((m, e) => m + e.dropped, 0), 0),
    cpuSeconds: reports.reduce((n, r) => n + r.cpuMs, 0) / 1000,
  };
}

/**
 * Runs `load` between two marks with marks every so often, then settles, verifies and stops.
 * With `warmUp`, event-loop delay is measured from the first periodic mark on: the first
 * seconds compile the decoders and fill the store, which a long-running receiver has done.
 */
async function session(
  options: SessionOptions,
  markEverySeconds: number,
  idleSeconds: number,
  warmUp: boolean,
  progress: (line: string) => void,
  load: (s: Session) => Promise<Extract<ProducerMessage, { type: 'done' }>[]>,
): Promise<RunResult> {
  const s = new Session(options);
  try {
    await s.start();
    const first = await s.mark(!warmUp);
    const idle = monitorEventLoopDelay({ resolution: options.loopResolutionMs });
    if (!warmUp) idle.enable();
    const t0 = performance.now();
    const marks: RunResult['marks'] = [];
    let loading = true;
    const ticker = (async () => {
      while (loading) {
        await sleep(250);
        if (loading && performance.now() - t0 >= (marks.length + 1) * markEverySeconds * 1000) {
          const m = await s.mark(warmUp && marks.length === 0);
          if (warmUp && marks.length === 0) idle.enable();
          const atSeconds = (performance.now() - t0) / 1000;
          marks.push({ ...m, atSeconds });
          const rate = marks.length > 1 ? (m.accepted - marks[marks.length - 2]!.accepted) / (m.at - marks[marks.length - 2]!.at) * 1000 : (m.accepted - first.accepted) / (m.at - first.at) * 1000;
          progress(`${atSeconds.toFixed(0)} s: ${Math.round(rate)} spans/s accepted, ${m.spanCount} spans in store, loop delay p99 ${m.loopDelay?.p99.toFixed(1)} ms, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`);
        }
      }
    })();
    const reports = await load(s);
    loading = false;
    await ticker;
    const last = await s.mark();
    idle.disable();
    const seconds = (performance.now() - t0) / 1000;
    marks.push({ ...last, atSeconds: seconds });
    // Retention runs within a second of the last batch; give it that (or longer), then collect garbage.
    await sleep(idleSeconds * 1000);
    const after = await s.settle();
    const ledger = await s.verify();
    const { stopped, reopenedSpans } = await s.stop();
    const retained = await s.freshBaseline();
    return {
      seconds,
      ledger,
      producers: merge(reports),
      statuses: stopped.statuses,
      storeBusy: stopped.storeBusy,
      grpcWaited: stopped.grpcWaited,
      loopDelay: stopped.loopDelay,
      idleLoopDelay: { p50: idle.percentile(50) / 1e6, p99: idle.percentile(99) / 1e6, max: idle.max / 1e6, mean: idle.mean / 1e6 },
      marks,
      memory: { baseline: s.baseline, after, retained, maxRss: stopped.maxRss, idleSeconds },
      views: stopped.views,
      reopenedSpans,
      spanCountAtStop: stopped.spanCount,
      receiverCpuPercent: ((last.cpuMs - first.cpuMs) / (last.at - first.at)) * 100,
      warnings: stopped.warnings,
    };
  } finally {
    s.dispose();
  }
}

/** Eight (or `exporters`) exporters at `spansPerSec` for `seconds` while the views refresh. */
export function runSoak(partial: Partial<SoakOptions> = {}): Promise<RunResult> {
  const o = { ...SOAK_DEFAULTS, ...partial };
  if (o.seconds <= 2 * o.markEverySeconds) throw new Error(`a soak of ${o.seconds} s is too short: its first ${o.markEverySeconds} s are a warm-up`);
  const progress = o.progress ?? (() => undefined);
  return session({ ...sessionOptions(o), profileDir: o.profileDir }, o.markEverySeconds, o.idleSeconds, true, progress, (s) => s.produce({ type: 'run', spansPerSecEach: o.spansPerSec / o.exporters, seconds: o.seconds, maxInFlight: o.maxInFlight }));
}

export interface OverloadOptions {
  exporters: number;
  /** Exports each exporter starts at once (the OTel exporters allow 30 in flight). */
  batches: number;
  producers: number;
  /** The store worker's queue bound (StoreClient's default when absent): smaller reaches overload sooner. */
  maxPendingBatches?: number;
  progress?: (line: string) => void;
}

/** Every exporter starts `batches` 512-span exports at once: far more than the store takes in a second. */
export function runOverload(partial: Partial<OverloadOptions> = {}): Promise<RunResult> {
  const o: OverloadOptions = { exporters: 8, batches: 30, producers: 2, ...partial };
  const options = { ...sessionOptions({ ...SOAK_DEFAULTS, exporters: o.exporters, producers: o.producers }), maxPendingBatches: o.maxPendingBatches };
  return session(options, 5, SOAK_DEFAULTS.idleSeconds, false, o.progress ?? (() => undefined), (s) => s.produce({ type: 'burst', batches: o.batches }));
}
