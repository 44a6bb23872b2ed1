/**
 * The bench's processes and the messages between them. Each measurement runs in a child of
 * its own: a fresh heap per phase, the client load on the other core from the receiver, and a
 * heap limit set per process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Distribution } from './stats.js';

export interface MemorySample {
  /** Peak resident set size of the process, bytes. */
  maxRss: number;
  heapUsed: number;
  /** ArrayBuffers and other memory outside the V8 heap (sql.js keeps its database there). */
  external: number;
}

export interface MarkReply {
  type: 'mark';
  at: number;
  spanCount: number;
  /** Spans in the export requests answered so far. */
  accepted: number;
  cpuMs: number;
  /** Event-loop delay since the previous mark, ms; present from the second mark on. */
  loopDelay?: { p50: number; p99: number; max: number; mean: number };
  requests: number;
}

/** receiverProcess → parent. */
export type ReceiverMessage =
  | { type: 'ready'; port: number }
  | MarkReply
  | { type: 'stopped'; spanCount: number; traceCount: number; closeMs: number; dbBytes: number; memory: MemorySample; warnings: string[] };

/** parent → receiverProcess. */
export type ReceiverCommand = { type: 'mark' } | { type: 'stop' };

export interface ClientResult {
  type: 'done';
  requests: number;
  spans: number;
  failures: number;
  statuses: Record<string, number>;
  latencyMs: Distribution;
  cpuMs: number;
  wallMs: number;
}

export interface PhaseResult<T> {
  type: 'result';
  result: T;
}

export interface ForkOptions {
  heapMb: number;
  /** Write a CPU profile of the child here (node --cpu-prof). */
  profileDir?: string;
}

/** The bench's child processes: bench/NAME.ts under tsx, with JSON-able arguments. */
export class Children {
  private readonly running = new Set<ChildProcess>();

  fork(name: string, args: unknown, options: ForkOptions): ChildProcess {
    const execArgv = ['--import', 'tsx', `--max-old-space-size=${options.heapMb}`];
    // Node's default profile names carry the pid and thread id, so a worker's profile is kept apart.
    if (options.profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, name)}`);
    const child = fork(path.join(__dirname, `${name}.ts`), [JSON.stringify(args)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    return child;
  }

  /** Ends the children still running (after a failure), each by its own pid. */
  killAll(): void {
    for (const child of this.running) child.kill();
  }
}

/** The next message from a child that `accept` takes; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (m: unknown) => m is T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!accept(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`bench child ${child.spawnargs.slice(-2, -1).join(' ')} exited (${signal ?? code}) before answering`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export const isType =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): m is T =>
    typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;

/** In a child: its arguments, as passed by Children.fork. */
export function childArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: m.heapUsed, external: m.external };
}
