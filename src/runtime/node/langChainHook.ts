/**
 * Traces LangChain when the program loads it: when `@langchain/core/callbacks/manager` is
 * required or imported, langchain.cjs (OpenLLMetry's LangChain instrumentation, built without
 * `@langchain/core`) is loaded so that its `require('@langchain/core/…')` finds the program's
 * copy, and the callback manager gets the tracing handler.
 */
import type { TracerProvider } from '@opentelemetry/api';
import IitmHook from 'import-in-the-middle';
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { Hook as RitmHook } from 'require-in-the-middle';
import { LANGCHAIN_MANAGER } from './hookedModules';
import type { LangChainPatcher } from './langchain';


type ModuleInternals = typeof Module & {
  _nodeModulePaths(dir: string): string[];
};
type CompilableModule = Module & { _compile(source: string, filename: string): void };

/** Loads `bundle` as a CommonJS module whose bare requires resolve from `basedir`. */
function loadFrom(bundle: string, basedir: string): unknown {
  const m = new Module(bundle) as CompilableModule;
  m.filename = bundle;
  m.paths = (Module as ModuleInternals)._nodeModulePaths(basedir);
  m._compile(readFileSync(bundle, 'utf8'), bundle);
  return m.exports;
}

export function hookLangChain(bundle: string, provider: TracerProvider, skipFiles: ReadonlySet<string>, report: (message: string) => void): void {
  const patchers = new Map<string, LangChainPatcher | null>();
  const patcherFor = (basedir: string): LangChainPatcher | null => {
    if (!patchers.has(basedir)) {
      try {
        const { createPatcher } = loadFrom(bundle, basedir) as typeof import('./langchain');
        patchers.set(basedir, createPatcher(provider, skipFiles));
      } catch (err) {
        report(`LangChain is not traced: ${err instanceof Error ? err.message : String(err)}`);
        patchers.set(basedir, null);
      }
    }
    return patchers.get(basedir)!;
  };
  const onManager = (exports: unknown, basedir: string | undefined): void => {
    if (basedir) patcherFor(basedir)?.patch(exports);
  };
  // Every file of @langchain/core passes here (internals), as the manager is first reached by
  // relative requires inside the package; only the manager's is acted on.
  const isManager = (name: string): boolean => LANGCHAIN_MANAGER.test(path.sep + name);
  new RitmHook(['@langchain/core'], { internals: true }, <T>(exports: T, name: string, basedir?: string): T => {
    if (isManager(name)) onManager(exports, basedir);
    return exports;
  });
  new IitmHook(['@langchain/core'], { internals: true }, (exports: unknown, name: string, basedir: string | void) => {
    if (isManager(name)) onManager(exports, basedir ?? undefined);
  });
}
