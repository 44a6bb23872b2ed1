/** Messages between the soak's orchestrator and its two kinds of child process. */
import type { MemorySample } from './memory.js';

export type ExporterKind = 'proto' | 'proto-gzip' | 'json' | 'grpc';

export interface ExporterSpec {
  /** Also the application's name: one exporter stands for one traced program. */
  name: string;
  kind: ExporterKind;
  /** 'batch': through a BatchSpanProcessor, as an app sets it up; 'direct': exporter.export per batch. */
  via: 'batch' | 'direct';
  /** Where in its send period this exporter's batches fall due (0–1): apps are not in step. */
  phase: number;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Latency {
  n: number;
  median: number;
  p99: number;
  max: number;
}

// ---- receiver child

export interface ReceiverArgs {
  dir: string;
  retention: { maxTraces?: number; maxBytes?: number };
  /** What the views ask the store, every this many ms while the load runs. */
  viewsEveryMs: number;
  loopResolutionMs: number;
  /** Batches that may wait for the store worker before it refuses more (StoreClient's bound); default when absent. */
  maxPendingBatches?: number;
}

export type ReceiverCommand =
  /**
   * Counts since the previous mark; the first mark starts the views. `measure` starts the
   * event-loop delay monitor of the whole load (at the first mark, or after a warm-up).
   */
  | { type: 'mark'; measure?: boolean }
  /** The load is over: stops the delay monitor, collects garbage and samples memory. */
  | { type: 'settle' }
  /** Every trace in the store with its span count. */
  | { type: 'inventory' }
  | { type: 'stop' };

export interface ReceiverMark {
  type: 'mark';
  at: number;
  accepted: number;
  /** Spans the store reported inserted (its change events). */
  inserted: number;
  spanCount: number;
  rss: number;
  heapUsed: number;
  /** Since the previous mark. */
  loopDelay?: LoopDelay;
  cpuMs: number;
}

export type ReceiverMessage =
  | { type: 'ready'; http: number; grpc: number; memory: MemorySample }
  /** Traces retention (or anyone) deleted, sent as they go. */
  | { type: 'deleted'; traceIds: string[] }
  | ReceiverMark
  | { type: 'settled'; memory: MemorySample }
  | { type: 'inventory'; traces: [string, number][]; spanCount: number; inserted: number; runs: { service: string; traces: number }[] }
  | {
      type: 'stopped';
      /** HTTP answers by status code. */
      statuses: Record<string, number>;
      /** Batches the store refused as busy (HTTP and gRPC). */
      storeBusy: number;
      /** gRPC calls that waited for room in the in-flight budget before their message was read. */
      grpcWaited: number;
      /** `gone`: the newest trace was deleted (by retention) between two of a refresh's queries. */
      views: { cycles: number; errors: number; gone: number; cycleMs: Latency; firstError?: string };
      /** Event-loop delay over the whole load, from the mark that said `measure` to the end. */
      loopDelay: LoopDelay;
      spanCount: number;
      maxRss: number;
      warnings: string[];
    };

// ---- producer child

export interface ProducerArgs {
  exporters: ExporterSpec[];
  httpUrl: string;
  grpcUrl: string;
  poolBatches: number;
  seed: number;
}

export type ProducerCommand =
  /** Each exporter sends `spansPerSecEach` for `seconds`, then waits for its exports to end. */
  | { type: 'run'; spansPerSecEach: number; seconds: number; maxInFlight: number }
  /** Each exporter starts `batches` exports at once, then waits for them to end. */
  | { type: 'burst'; batches: number }
  | { type: 'stop' };

export interface ExporterStats {
  name: string;
  kind: ExporterKind;
  via: 'batch' | 'direct';
  /** Spans handed to the exporter or its processor. */
  offered: number;
  /** Spans in exports whose callback said SUCCESS. */
  acked: number;
  /** Spans in exports that failed (after the exporter's own retries). */
  failed: number;
  failures: Record<string, number>;
  exportMs: Latency;
  /** Batches not sent because they fell due while all of this exporter's exports were out (it could not keep up). */
  behind: number;
  /** Spans a BatchSpanProcessor dropped because its queue was full (the SDK's default 2048). */
  dropped: number;
}

export type ProducerMessage =
  | { type: 'ready' }
  /** Trace ids (with span counts) of exports acknowledged since the last such message. */
  | { type: 'acked'; traces: [string, number][] }
  | {
      type: 'done';
      exporters: ExporterStats[];
      /** Retries the exporters scheduled (OTel diag log), and why some gave up. */
      retries: number;
      gaveUp: number;
      seconds: number;
      cpuMs: number;
    };
