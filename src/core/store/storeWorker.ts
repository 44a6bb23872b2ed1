/** The store worker: opens the SpanStore and serves StoreRequests from its parent thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { deflateRawSync } from 'node:zlib';
import { exportOtlp, importOtlp } from '../importExport.js';
import { decodeLogs } from '../otlp/decode.js';
import { SpanStore, StoreError } from './spanStore.js';
import { spanDetail, traceBundle, traceView } from '../views/traceView.js';
import { makeShownForms } from '../views/cliViews.js';
import { resolveSources, unplacedNames } from '../source/resolve.js';
import { WorkspaceIndex } from '../source/workspaceIndex.js';
import type { StoreReply, StoreRequest, WorkerStoreOptions } from './storeProtocol.js';

const port = parentPort!;
const post = (reply: StoreReply): void => port.postMessage(reply);
const errorOf = (err: unknown): { name: string; message: string } => ({ name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) });

async function main(): Promise<void> {
  let store: SpanStore;
  try {
    store = await SpanStore.open({ ...(workerData as WorkerStoreOptions), onWarning: (message) => post({ kind: 'warning', message }), onInfo: (message) => post({ kind: 'info', message }) });
  } catch (err) {
    post({ kind: 'openFailed', error: errorOf(err) });
    return;
  }
  store.onDidChange((change) => post({ kind: 'change', change, spanCount: store.spanCount }));
  store.onDidChangeStorage((state) => post({ kind: 'storage', state }));
  const workspaces = new Workspaces();
  const run = (req: StoreRequest): void => {
    void handle(store, workspaces, req).then(
      (value) => postDurably(store, { kind: 'result', id: req.id, value, spanCount: store.spanCount }),
      (err) => post({ kind: 'error', id: req.id, error: errorOf(err) }),
    );
  };
  const batches = new BatchQueue(run);
  const forms = new FormMaker(store, () => batches.pending > 0);
  port.on('message', (req: StoreRequest) => {
    forms.wait();
    if (req.op === 'addRows' || req.op === 'addLogs') return batches.push(req);
    // Closing stores what was received first.
    if (req.op === 'close') {
      forms.stop();
      batches.drain();
    }
    run(req);
  });
  post({ kind: 'ready', spanCount: store.spanCount, storage: store.storage });
  // Traces stored before (or by an older version) get their forms in the first quiet period.
  forms.wait();
}

/**
 * Results wait for the journal: a batch is acknowledged (and the exporter drops it) only once
 * its record is written to the file, so a reloaded or killed window loses no acknowledged batch.
 * The write happens as each result is ready, not later in the turn: a reply held back behind the
 * batches queued after it would hold the exporters back too (ingest fell by a sixth that way).
 */
function postDurably(store: SpanStore, reply: StoreReply): void {
  try {
    // Nothing to write (a query): returns at once.
    store.flush();
  } catch {
    // The store is closed: it flushed when it closed.
  }
  post(reply);
}

/**
 * Received batches, stored one per turn of the event loop, in order. Everything else (the views'
 * queries) is answered as it arrives: under load a tree refresh would otherwise wait behind every
 * batch queued before it (seconds, in the soak).
 */
class BatchQueue {
  private readonly queue: StoreRequest[] = [];
  /** A batch ran in this turn: the next waits for the next turn, after the messages that came meanwhile. */
  private waiting = false;

  constructor(private readonly run: (req: StoreRequest) => void) {}

  get pending(): number {
    return this.queue.length;
  }

  push(req: StoreRequest): void {
    this.queue.push(req);
    if (!this.waiting) this.next();
  }

  drain(): void {
    for (let req = this.queue.shift(); req; req = this.queue.shift()) this.run(req);
  }

  private next(): void {
    const req = this.queue.shift();
    if (!req) return;
    this.run(req);
    this.waiting = true;
    setImmediate(() => {
      this.waiting = false;
      this.next();
    });
  }
}

/** How long the store is left alone before it makes the printed forms of large traces. */
const FORM_QUIET_MS = 3000;

/**
 * Makes the printed forms of large traces (`spanlens show` reads them: see store/shownForms.ts)
 * once no message has come for FORM_QUIET_MS: one trace per turn, and any message puts it off
 * again, so neither ingest nor the views wait for more than one trace's form.
 */
class FormMaker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warned = false;

  constructor(
    private readonly store: SpanStore,
    private readonly busy: () => boolean,
  ) {}

  /** A message came: start the quiet period again. */
  wait(): void {
    this.schedule(FORM_QUIET_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.step(), ms);
    this.timer.unref();
  }

  private step(): void {
    if (this.busy()) return this.wait();
    try {
      const { made, more } = makeShownForms(this.store, 0);
      // To the file now: the CLI reads the files, and nothing else may come to flush the journal.
      if (made) this.store.flush();
      if (more) this.schedule(0);
    } catch (err) {
      // A derived copy: show reads the bodies without it. Tried again after the next message, said once.
      if (!this.warned) post({ kind: 'warning', message: `Could not keep a large trace's printed form: ${(err as Error).message}` });
      this.warned = true;
    }
  }
}

/** Workspace indexes by root: built once, on the first request, and kept up to date by 'workspaceChanged'. */
class Workspaces {
  private readonly indexes = new Map<string, Promise<WorkspaceIndex>>();

  index(root: string): Promise<WorkspaceIndex> {
    let index = this.indexes.get(root);
    if (!index) {
      index = WorkspaceIndex.build(root);
      this.indexes.set(root, index);
      index.catch(() => this.indexes.delete(root));
    }
    return index;
  }

  /** Only a workspace already indexed: another would be read whole when first asked about anyway. */
  async changed(root: string, files: string[]): Promise<void> {
    const index = this.indexes.get(root);
    if (index) for (const file of files) (await index).update(file);
  }
}

async function handle(store: SpanStore, workspaces: Workspaces, req: StoreRequest): Promise<unknown> {
  switch (req.op) {
    case 'addRows':
      // Kept compressed: a third of the bytes to store, journal and checkpoint.
      return store.addRows(req.rows, req.raw.deflated ? req.raw : { ...req.raw, body: deflateRawSync(req.raw.body, { level: 1 }), deflated: true });
    case 'addLogs':
      return store.addLogs(decodeLogs(req.raw.body, req.raw.encoding).items, req.raw);
    case 'import':
      return importOtlp(store, Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.length));
    case 'export':
      return exportOtlp(store, req.traceIds);
    case 'traceView': {
      const spans = store.getTrace(req.traceId);
      return spans.length ? traceView(req.traceId, spans, store.prices) : null;
    }
    case 'spanDetail': {
      const span = store.getSpan(req.traceId, req.spanId);
      if (!span) throw new StoreError(`span ${req.spanId} is not in trace ${req.traceId} (any more)`);
      return spanDetail(span, store.logsForTrace(req.traceId).filter((l) => l.spanId === req.spanId), store.prices);
    }
    case 'traceBundle': {
      const spans = store.getTrace(req.traceId);
      if (!spans.length) throw new StoreError(`no trace ${req.traceId} in the store`);
      return traceBundle(req.traceId, spans, store.logsForTrace(req.traceId), store.prices);
    }
    case 'traceSources': {
      const index = await workspaces.index(req.workspaceRoot);
      const spans = store.getTrace(req.traceId);
      if (!spans.length) throw new StoreError(`no trace ${req.traceId} in the store`);
      return Object.fromEntries(resolveSources(spans, store.logsForTrace(req.traceId), index));
    }
    case 'workspaceChanged':
      return workspaces.changed(req.workspaceRoot, req.files);
    case 'unplacedNames':
      return Object.fromEntries(unplacedNames(store.getTrace(req.traceId), req.spanIds));
    case 'call': {
      const method = store[req.method] as (...args: unknown[]) => unknown;
      return method.apply(store, req.args);
    }
    case 'close':
      await store.close();
      setImmediate(() => port.close());
      return undefined;
  }
}

void main();
