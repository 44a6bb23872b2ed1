/**
 * Messages between a StoreClient (the receiver's thread) and the store worker, which owns the
 * database so that inserts, checkpoints and queries never block the receiver's event loop.
 */
import type { IndexRow } from './indexRow.js';
import type { RawBody, SpanStore, StorageState, StoreChange, StoreOptions } from './spanStore.js';

/** SpanStore methods a client may call in the worker, by name. */
export type StoreCalls = Pick<
  SpanStore,
  | 'listTraces'
  | 'traceSummary'
  | 'searchTraces'
  | 'listRuns'
  | 'getTrace'
  | 'getSpan'
  | 'spansInWindow'
  | 'logsForTrace'
  | 'countLogs'
  | 'traceCount'
  | 'usedBytes'
  | 'memory'
  | 'compact'
  | 'clear'
  | 'deleteTraces'
  | 'deleteRun'
  | 'setPinned'
  | 'enforceRetention'
  | 'configure'
  | 'checkpoint'
  | 'flush'
>;
export type StoreMethod = keyof StoreCalls;

/** Options that cross the thread boundary (no callbacks). */
export type WorkerStoreOptions = Omit<StoreOptions, 'onWarning' | 'onInfo'>;

export type StoreRequest =
  | { id: number; op: 'addRows'; rows: IndexRow[]; raw: RawBody }
  | { id: number; op: 'addLogs'; raw: RawBody }
  | { id: number; op: 'import'; bytes: Uint8Array }
  | { id: number; op: 'export'; traceIds: string[] }
  | { id: number; op: 'traceView'; traceId: string }
  | { id: number; op: 'spanDetail'; traceId: string; spanId: string }
  | { id: number; op: 'traceBundle'; traceId: string }
  /** Each span's source location in a workspace: `Record<spanId, SourceLocation | null>`. */
  | { id: number; op: 'traceSources'; traceId: string; workspaceRoot: string }
  /** Files of a workspace changed (or were created or deleted): re-index them if that workspace is indexed. */
  | { id: number; op: 'workspaceChanged'; workspaceRoot: string; files: string[] }
  | { id: number; op: 'unplacedNames'; traceId: string; spanIds: string[] }
  | { id: number; op: 'call'; method: StoreMethod; args: unknown[] }
  | { id: number; op: 'close' };

export type StoreReply =
  | { kind: 'ready'; spanCount: number; storage: StorageState }
  | { kind: 'openFailed'; error: { name: string; message: string } }
  | { kind: 'result'; id: number; value: unknown; spanCount: number }
  | { kind: 'error'; id: number; error: { name: string; message: string } }
  | { kind: 'change'; change: StoreChange; spanCount: number }
  | { kind: 'warning'; message: string }
  /** Something worth a line in the log, not a problem (the store compacted its memory). */
  | { kind: 'info'; message: string }
  /** The store started or stopped being able to write its files. */
  | { kind: 'storage'; state: StorageState };
