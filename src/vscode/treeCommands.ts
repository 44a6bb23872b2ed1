/**
 * Commands of the Runs & Traces view: filters, copy and export as OTLP JSON, pin, delete, clear.
 * Item commands take the clicked node (and the selection, for several items), or for scripts and
 * tests `{ traceId }` / `{ runId }`; they resolve to what they did.
 */
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { StoreClient } from '../core/store/storeClient.js';
import { NO_FILTER, type TreeFilter, oneLine } from '../core/views/treeModel.js';
import { userMessage } from './errors.js';
import type { ReceiverService } from './receiverService.js';
import type { TraceTree } from './traceTree.js';

/** Most trace ids a text search returns. */
const SEARCH_LIMIT = 1000;
/** Most traces of a run written to one export file. */
const EXPORT_RUN_LIMIT = 100_000;

type Target = { kind: 'run'; runId: string } | { kind: 'trace'; traceId: string };

/** What an item command was called on: a node, `{ traceId }`, `{ runId }` or a trace id. */
function targetOf(arg: unknown): Target | undefined {
  if (typeof arg === 'string' && arg) return { kind: 'trace', traceId: arg };
  const a = arg as { kind?: unknown; traceId?: unknown; runId?: unknown } | undefined;
  if (typeof a?.traceId === 'string') return { kind: 'trace', traceId: a.traceId };
  if (typeof a?.runId === 'string' && a.kind !== 'more') return { kind: 'run', runId: a.runId };
  return undefined;
}

/**
 * The targets of an item command: the whole selection when the clicked item is part of it; the
 * view's selection when called without an item (palette, keybinding).
 */
function targetsOf(arg: unknown, selection: unknown, viewSelection: readonly unknown[]): Target[] {
  const all = arg === undefined ? viewSelection : Array.isArray(selection) && selection.includes(arg) ? selection : [arg];
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const a of all) {
    const t = targetOf(a);
    const key = t && (t.kind === 'run' ? `r${t.runId}` : `t${t.traceId}`);
    if (t && key && !seen.has(key)) {
      seen.add(key);
      out.push(t);
    }
  }
  return out;
}

function pickFirst(): undefined {
  void vscode.window.showInformationMessage('Spanlens: choose a run or trace in the Runs & Traces view first.');
  return undefined;
}

async function traceIdsOf(store: StoreClient, targets: Target[]): Promise<string[]> {
  const ids: string[] = [];
  for (const t of targets) {
    if (t.kind === 'trace') ids.push(t.traceId);
    else ids.push(...(await store.call('listTraces', EXPORT_RUN_LIMIT, 0, t.runId)).map((s) => s.traceId));
  }
  return [...new Set(ids)];
}

export function registerTreeCommands(tree: TraceTree, service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const provider = tree.provider;
  const setFilter = (change: Partial<TreeFilter>): TreeFilter => {
    provider.setFilter({ ...provider.currentFilter, ...change });
    return provider.currentFilter;
  };
  const register = (id: string, run: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, run);

  return [
    register('spanlens.traces.refresh', () => provider.refresh()),
    register('spanlens.traces.filterErrors', () => setFilter({ errorsOnly: true })),
    register('spanlens.traces.filterErrorsOff', () => setFilter({ errorsOnly: false })),
    register('spanlens.traces.filterLlm', () => setFilter({ llmOnly: true })),
    register('spanlens.traces.filterLlmOff', () => setFilter({ llmOnly: false })),
    register('spanlens.traces.clearFilter', () => {
      provider.setFilter(NO_FILTER);
      return provider.currentFilter;
    }),

    /** `text` skips the input box; '' clears the search. Resolves to the matching trace ids. */
    register('spanlens.traces.search', async (text?: string) => {
      const current = provider.currentFilter.search?.text ?? '';
      const query =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({
              title: 'Search Traces',
              prompt: 'Span names, prompts and responses containing this text (not case-sensitive); empty clears the search',
              value: current,
            });
      if (query === undefined) return undefined;
      if (!query.trim()) {
        setFilter({ search: null });
        return [];
      }
      // Decodes stored bodies in the worker: can take a moment on a large store.
      const ids = await vscode.window.withProgress({ location: { viewId: tree.viewId } }, async () =>
        (await service.store()).call('searchTraces', query, SEARCH_LIMIT),
      );
      setFilter({ search: { text: query, traceIds: new Set(ids) } });
      log.info(`[tree] search "${oneLine(query, 80)}": ${ids.length} traces`);
      return ids;
    }),

    register('spanlens.traces.copyOtlp', async (arg?: unknown) => {
      const target = targetOf(arg ?? tree.view.selection[0]);
      if (target?.kind !== 'trace') return pickFirst();
      const json = await (await service.store()).exportOtlp([target.traceId]);
      await vscode.env.clipboard.writeText(json);
      void vscode.window.setStatusBarMessage(`Spanlens: copied trace ${target.traceId} as OTLP JSON`, 3000);
      return json;
    }),

    /** A trace or a whole run as one OTLP JSON file; `uri` skips the save dialog. Resolves to the file path. */
    register('spanlens.traces.export', async (arg?: unknown, uri?: vscode.Uri) => {
      const target = targetOf(arg ?? tree.view.selection[0]);
      if (!target) return pickFirst();
      const store = await service.store();
      const ids = await traceIdsOf(store, [target]);
      if (!ids.length) return undefined;
      const name = target.kind === 'trace' ? `trace-${target.traceId}.otlp.json` : `run-${target.runId.replace(/[^\w.-]+/g, '_').slice(0, 80)}.otlp.json`;
      const file = uri instanceof vscode.Uri ? uri : await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(name), filters: { 'OTLP JSON': ['json'] } });
      if (!file) return undefined;
      try {
        await writeFile(file.fsPath, await store.exportOtlp(ids));
      } catch (err) {
        void vscode.window.showErrorMessage(userMessage(err, `write ${file.fsPath}`));
        return undefined;
      }
      void vscode.window.setStatusBarMessage(`Spanlens: exported ${ids.length} trace${ids.length === 1 ? '' : 's'} to ${file.fsPath}`, 3000);
      return file.fsPath;
    }),

    register('spanlens.traces.pin', (arg?: unknown, selection?: unknown) => pin(arg, selection, true)),
    register('spanlens.traces.unpin', (arg?: unknown, selection?: unknown) => pin(arg, selection, false)),

    /** Deletes the runs and traces (no confirmation: an explicit item action). Resolves to the deleted trace ids. */
    register('spanlens.traces.delete', async (arg?: unknown, selection?: unknown) => {
      const targets = targetsOf(arg, selection, tree.view.selection);
      if (!targets.length) return pickFirst();
      const store = await service.store();
      const ids = await traceIdsOf(store, targets);
      for (const t of targets) if (t.kind === 'run') await store.call('deleteRun', t.runId);
      const traces = targets.flatMap((t) => (t.kind === 'trace' ? [t.traceId] : []));
      if (traces.length) await store.call('deleteTraces', traces);
      void vscode.window.setStatusBarMessage(`Spanlens: deleted ${ids.length} trace${ids.length === 1 ? '' : 's'}`, 3000);
      return ids;
    }),

    /** The view's Clear All: asks first (pinned traces go too). Resolves to the spans removed, or undefined when cancelled. */
    register('spanlens.traces.clearAll', async () => {
      const store = await service.store();
      const traces = await store.call('traceCount');
      if (traces === 0) return 0;
      const answer = await vscode.window.showWarningMessage(
        `Delete all ${traces} trace${traces === 1 ? '' : 's'} from this workspace's store?`,
        { modal: true, detail: 'Pinned runs and traces are deleted too. This cannot be undone.' },
        'Clear All',
      );
      if (answer !== 'Clear All') return undefined;
      const count = store.spanCount;
      await store.call('clear');
      void vscode.window.setStatusBarMessage(`Spanlens: cleared ${count} spans`, 3000);
      return count;
    }),
  ];

  async function pin(arg: unknown, selection: unknown, pinned: boolean): Promise<boolean | undefined> {
    const targets = targetsOf(arg, selection, tree.view.selection);
    if (!targets.length) return pickFirst();
    const store = await service.store();
    for (const t of targets) await store.call('setPinned', t.kind, t.kind === 'run' ? t.runId : t.traceId, pinned);
    return pinned;
  }
}
