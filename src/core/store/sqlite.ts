/**
 * Instances of sql.js. One instance is one WebAssembly memory, shared by every Database opened in
 * it: it grows with SQLite's heap (page cache, large transactions) and never shrinks. A store
 * takes an instance of its own, so that closing it frees that memory, and so that it can move to
 * a new instance and let the old memory go (compaction.ts).
 *
 * sql.js keeps the instance it made beside initSqlJs, in its module: a second call returns the
 * first instance for good. So each instance loads sql.js's own file afresh (its module evaluated
 * again, with nothing cached), and shares only the compiled WebAssembly. Bundled, the build copies
 * that file (and the WebAssembly) beside the bundle; from source, sql.js's own copies are used.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

/** One sql.js instance and its memory. */
export interface SqlEngine {
  readonly SQL: SqlJsStatic;
  /** Bytes of the instance's WebAssembly memory now. */
  memoryBytes(): number;
  /** Bytes it had when loaded, before any database was opened: what a new instance costs. */
  readonly initialBytes: number;
}

type InitSqlJs = typeof initSqlJs;

/** The part of the WebAssembly API used here (this project's Node types do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
  Memory: abstract new (...args: never[]) => { readonly buffer: ArrayBuffer };
}
type WasmModule = { readonly compiled: unique symbol };
type WasmInstance = { readonly exports: Record<string, unknown> };
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** sql.js's file `name`: beside the bundle (dist/), or in sql.js's package (from source). */
function sqlJsFile(name: 'sql-wasm.js' | 'sql-wasm.wasm'): string {
  const beside = path.join(__dirname, name);
  return existsSync(beside) ? beside : require.resolve(`sql.js/dist/${name}`);
}

/** initSqlJs from a fresh evaluation of sql.js's module: its instance cache starts empty. */
function freshInitSqlJs(): InitSqlJs {
  const file = sqlJsFile('sql-wasm.js');
  delete require.cache[file];
  try {
    return require(file) as InitSqlJs;
  } finally {
    delete require.cache[file];
  }
}

// Compiled once: each instance then only instantiates it (a few ms).
let compiled: Promise<WasmModule> | undefined;

/** A new instance with a memory of its own, freed with the last Database opened in it. */
export async function newSqlEngine(): Promise<SqlEngine> {
  compiled ??= Wasm.compile(readFileSync(sqlJsFile('sql-wasm.wasm')));
  const wasm = await compiled;
  let memory: { readonly buffer: ArrayBuffer } | undefined;
  // sql.js's hook has no way to fail: a failed instantiation (no memory left) rejects here instead.
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const loaded = freshInitSqlJs()({
    instantiateWasm(imports: object, receive: (instance: WasmInstance) => void) {
      Wasm.instantiate(wasm, imports).then((instance) => {
        memory = Object.values(instance.exports).find((e) => e instanceof Wasm.Memory) as typeof memory;
        receive(instance);
      }, fail);
      return {};
    },
  } as Parameters<InitSqlJs>[0]);
  const SQL = await Promise.race([loaded, failed]);
  if (!memory) throw new Error('sql.js did not instantiate its WebAssembly through instantiateWasm');
  const mem = memory;
  return { SQL, memoryBytes: () => mem.buffer.byteLength, initialBytes: mem.buffer.byteLength };
}
