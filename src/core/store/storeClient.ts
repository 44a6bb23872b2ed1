/**
 * The store as seen from the receiver's thread: a worker owns the database (inserts,
 * checkpoints, queries), this side indexes decoded spans and posts them with their body. Every
 * call is asynchronous; a batch is acknowledged once the worker has stored and journaled it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Emitter } from '../events.js';
import type { ImportResult } from '../importExport.js';
import type { LogRecord, Span } from '../model.js';
import type { UnplacedName } from '../source/resolve.js';
import type { SourceLocation } from '../../shared/source.js';
import type { SpanDetail, TraceBundle, TraceView } from '../../shared/traceView.js';
import { type IndexRow, indexRows } from './indexRow.js';
import { type AddSpansResult, DEFAULT_MAX_SPANS_PER_TRACE, type RawBody, type StorageState, StoreError, type StoreChange, type StoreOptions } from './spanStore.js';
import type { StoreCalls, StoreMethod, StoreReply, StoreRequest, WorkerStoreOptions } from './storeProtocol.js';

/** Raised when more batches wait for the worker than it may queue: the receiver answers 503. */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };
type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;

const MAX_PENDING_BATCHES = 64;

function workerScript(): string {
  // Bundled: dist/storeWorker.js beside this bundle. From source (tests run with tsx): the .ts file.
  for (const name of ['storeWorker.js', 'storeWorker.ts']) {
    const candidate = path.join(__dirname, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new StoreError(`the store worker script is missing next to ${__dirname}`);
}

/**
 * The body's memory, when the body is all of it (a request body read whole), to hand to the
 * worker instead of copying; the caller must not use the body afterwards. A view into a shared
 * pool is copied as usual.
 */
function ownBuffer(body: Uint8Array): ArrayBuffer[] {
  const buffer = body.buffer;
  return buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === buffer.byteLength ? [buffer] : [];
}

export class StoreClient {
  private readonly changes = new Emitter<StoreChange>();
  /** Fired after each stored batch, deletion and clear in the worker. */
  readonly onDidChange = this.changes.event;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private batchesInFlight = 0;
  private closed = false;
  private readonly storageStates = new Emitter<StorageState>();
  /** Fired when the store starts or stops being able to write its files (see `storage`). */
  readonly onDidChangeStorage = this.storageStates.event;
  /** Spans in the store, as of the last message from the worker. */
  spanCount = 0;
  /** Where the data lives: on disk, in memory by design, or in memory only because writes fail. */
  storage: StorageState = { kind: 'memory' };

  private constructor(
    private readonly worker: Worker,
    private readonly options: StoreOptions,
    private readonly maxPendingBatches: number,
  ) {
    worker.on('message', (m: StoreReply) => this.receive(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new StoreError(`the store worker stopped (exit code ${code})`)));
  }

  /** True while as many batches wait for the worker as it may queue: the next one would be refused. */
  get busy(): boolean {
    return this.batchesInFlight >= this.maxPendingBatches;
  }

  /** `maxPendingBatches`: how many batches may wait for the worker before new ones are refused. */
  static open(options: StoreOptions = {}, maxPendingBatches = MAX_PENDING_BATCHES): Promise<StoreClient> {
    const { onWarning: _onWarning, onInfo: _onInfo, ...data } = options;
    const script = workerScript();
    const worker = script.endsWith('.ts')
      ? // From source, as the tests run: let tsx compile the worker (never reached from the bundles).
        new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(script)});`, { eval: true, workerData: data satisfies WorkerStoreOptions })
      : new Worker(script, { workerData: data satisfies WorkerStoreOptions });
    const client = new StoreClient(worker, { ...options }, maxPendingBatches);
    return new Promise((resolve, reject) => {
      const onReady = (m: StoreReply): void => {
        if (m.kind === 'ready') {
          client.spanCount = m.spanCount;
          client.storage = m.storage;
          worker.off('message', onReady);
          resolve(client);
        } else if (m.kind === 'openFailed') {
          worker.off('message', onReady);
          void worker.terminate();
          reject(Object.assign(new StoreError(m.error.message), { name: m.error.name }));
        }
      };
      worker.on('message', onReady);
      worker.once('error', reject);
    });
  }

  private receive(m: StoreReply): void {
    switch (m.kind) {
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.kind === 'result') {
          this.spanCount = m.spanCount;
          p?.resolve(m.value);
        } else p?.reject(Object.assign(new StoreError(m.error.message), { name: m.error.name }));
        break;
      }
      case 'change':
        this.spanCount = m.spanCount;
        this.changes.fire(m.change);
        break;
      case 'warning':
        this.options.onWarning?.(m.message);
        break;
      case 'info':
        this.options.onInfo?.(m.message);
        break;
      case 'storage':
        this.storage = m.state;
        this.storageStates.fire(m.state);
        break;
      default:
        break;
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.options.onWarning?.(`The trace store stopped: ${err.message}`);
  }

  private request<T>(req: Distributive<StoreRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id } as StoreRequest, transfer);
    });
  }

  /** Runs a SpanStore method in the worker. */
  call<M extends StoreMethod>(method: M, ...args: Parameters<StoreCalls[M]>): Promise<Awaited<ReturnType<StoreCalls[M]>>> {
    return this.request({ op: 'call', method, args });
  }

  /**
   * Indexes the decoded spans here and stores them with their body there (compressed); resolves
   * to the new count once the batch is stored and written to the journal. The body's memory may
   * be moved to the worker: do not use it after this call.
   */
  addSpans(spans: Span[], raw?: RawBody): Promise<number> {
    return this.addSpansCounted(spans, raw).then((r) => r.stored);
  }

  /**
   * addSpans, also saying how many spans were not stored because their trace reached the limit.
   * Not async: the decoded spans are garbage once indexed. An async function would keep its
   * arguments until the worker answers, and every batch waiting would survive into V8's old
   * generation (the receiver's thread spent a fifth of its time collecting them).
   */
  addSpansCounted(spans: Span[], raw?: RawBody): Promise<AddSpansResult> {
    if (!raw) return Promise.reject(new StoreError('StoreClient.addSpans needs the request body the spans were decoded from'));
    if (spans.length === 0) return Promise.resolve({ stored: 0, truncated: 0, maxSpansPerTrace: this.options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE });
    if (this.batchesInFlight >= this.maxPendingBatches) return Promise.reject(new StoreBusyError(`${this.batchesInFlight} batches are waiting to be stored`));
    return this.storeRows(indexRows(spans, this.options.prices), raw);
  }

  private async storeRows(rows: IndexRow[], raw: RawBody): Promise<AddSpansResult> {
    this.batchesInFlight++;
    try {
      return await this.request<AddSpansResult>({ op: 'addRows', rows, raw }, ownBuffer(raw.body));
    } finally {
      this.batchesInFlight--;
    }
  }

  /** Not async, as addSpansCounted: the decoded records are not kept while the worker stores them. */
  addLogs(logs: LogRecord[], raw?: RawBody): Promise<number> {
    if (!raw) return Promise.reject(new StoreError('StoreClient.addLogs needs the request body the records were decoded from'));
    if (logs.length === 0) return Promise.resolve(0);
    return this.request<number>({ op: 'addLogs', raw });
  }

  /** Changes retention, prices, the run gap and the span limit, here (prices index spans here) and in the worker. */
  configure(update: Pick<StoreOptions, 'retention' | 'prices' | 'quietGapMs' | 'maxSpansPerTrace'>): Promise<void> {
    Object.assign(this.options, update);
    return this.call('configure', update);
  }

  importOtlp(bytes: Uint8Array): Promise<ImportResult> {
    return this.request({ op: 'import', bytes });
  }

  exportOtlp(traceIds: string[]): Promise<string> {
    return this.request({ op: 'export', traceIds });
  }

  /** A trace's timeline rows, or null when the store has no such trace. */
  traceView(traceId: string): Promise<TraceView | null> {
    return this.request({ op: 'traceView', traceId });
  }

  /** One span's detail (rejects when the span is gone). */
  spanDetail(traceId: string, spanId: string): Promise<SpanDetail> {
    return this.request({ op: 'spanDetail', traceId, spanId });
  }

  /** A trace with every span's detail, for the exported HTML file. */
  traceBundle(traceId: string): Promise<TraceBundle> {
    return this.request({ op: 'traceBundle', traceId });
  }

  /**
   * Where in the workspace each span of a trace was made (null: nowhere found). The first call
   * for a workspace indexes it in the worker, which then keeps the index.
   */
  traceSources(traceId: string, workspaceRoot: string): Promise<Record<string, SourceLocation | null>> {
    return this.request({ op: 'traceSources', traceId, workspaceRoot });
  }

  /** For spans of a trace `traceSources` could not place: names to look up in the editor's symbol providers. */
  unplacedNames(traceId: string, spanIds: string[]): Promise<Record<string, UnplacedName[]>> {
    return this.request({ op: 'unplacedNames', traceId, spanIds });
  }

  /** Tells the worker's index of a workspace that these files changed, were created or deleted. */
  workspaceChanged(workspaceRoot: string, files: string[]): Promise<void> {
    return this.request({ op: 'workspaceChanged', workspaceRoot, files });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await this.request({ op: 'close' });
    this.closed = true;
    await exited;
    this.changes.dispose();
    this.storageStates.dispose();
  }
}
