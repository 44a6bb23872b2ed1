/**
 * Keeps the LLM calls whose source location is known, grouped into call sites, for the editor
 * surfaces. Follows the store (debounced, off the UI path), moves sites as their documents are
 * edited, and tells the store when workspace files change so heuristic locations are redone.
 */
import * as vscode from 'vscode';
import { SymbolLookup } from './symbolLookup.js';
import { type CallSite, type LocatedCall, type SiteIndex, buildSites, callKey, moveLine, siteAt, siteOf } from '../core/source/callSites.js';
import type { StoreChange } from '../core/store/spanStore.js';
import type { SourceLocation } from '../shared/source.js';
import type { SpanDetail } from '../shared/traceView.js';
import type { ReceiverService } from './receiverService.js';

/** Traces read when the editor first asks, newest first. */
const INITIAL_TRACES = 200;
/** Traces whose calls are kept; the oldest are let go past this. */
const MAX_TRACES = 2000;
const DEBOUNCE_MS = 150;
const WORKSPACE_DEBOUNCE_MS = 500;
const DETAIL_CACHE = 200;
const MAX_UNPLACED = 50;
const SOURCE_GLOB = '**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts,py,go,java,kt,rb,cs,rs,php,swift,scala}';

export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export class CallSiteService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fired when sites appear, go or move. */
  readonly onDidChangeSites = this.changed.event;
  private readonly calls = new Map<string, LocatedCall>();
  /** Call keys by trace, in the order traces were last read (oldest first). */
  private readonly byTrace = new Map<string, string[]>();
  /** Where edits moved a call (null: its line was deleted), by call key. */
  private readonly moved = new Map<string, number | null>();
  private readonly details = new Map<string, Promise<SpanDetail>>();
  private index: SiteIndex = new Map();
  private pending: { traceIds: Set<string>; cleared: boolean; deleted: Set<string> } = { traceIds: new Set(), cleared: false, deleted: new Set() };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private loaded = false;
  /** Recent traces with calls placed nowhere: a file created later may place them. */
  private readonly unplaced = new Set<string>();
  private readonly symbols = new SymbolLookup();
  private changedFiles = new Set<string>();
  private filesTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly service: ReceiverService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(SOURCE_GLOB);
    this.disposables.push(
      service.onDidChangeSpans((c) => this.queue(c)),
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidSaveTextDocument((d) => this.fileChanged(d.uri)),
      watcher,
      watcher.onDidCreate((u) => this.fileChanged(u)),
      watcher.onDidDelete((u) => this.fileChanged(u)),
      watcher.onDidChange((u) => this.fileChanged(u)),
    );
  }

  /** The sites of a file, by line; the first call reads recent traces from the store. */
  sites(path: string): readonly CallSite[] {
    this.ensureLoaded();
    return this.index.get(path) ?? [];
  }

  siteAt(path: string, line: number): CallSite | undefined {
    this.ensureLoaded();
    return siteAt(this.index, path, line);
  }

  siteOf(call: { traceId: string; spanId: string }): CallSite | undefined {
    return siteOf(this.index, call);
  }

  /** Resolves once the changes seen so far are applied (for commands that must see the latest run). */
  settled(): Promise<void> {
    this.ensureLoaded();
    if (this.timer) this.flushSoon(0);
    return this.running;
  }

  /** A call's location as the editor shows it now: from the sites when known, otherwise from the store. */
  async location(traceId: string, spanId: string): Promise<SourceLocation | null> {
    const key = callKey({ traceId, spanId });
    const known = this.calls.get(key);
    if (known) {
      const line = this.moved.has(key) ? this.moved.get(key)! : known.location.line;
      return line === null ? null : { ...known.location, line };
    }
    const root = workspaceRoot();
    if (!root) return null;
    const sources = await (await this.service.store()).traceSources(traceId, root);
    return sources[spanId] ?? null;
  }

  /** A span's detail, cached for the calls the surfaces show most. */
  detail(traceId: string, spanId: string): Promise<SpanDetail> {
    const key = callKey({ traceId, spanId });
    let p = this.details.get(key);
    if (!p) {
      p = this.service.store().then((s) => s.spanDetail(traceId, spanId));
      p.catch(() => this.details.get(key) === p && this.details.delete(key));
      this.details.set(key, p);
      if (this.details.size > DETAIL_CACHE) this.details.delete(this.details.keys().next().value!);
    }
    return p;
  }

  private ensureLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.running = this.running.then(async () => {
      try {
        const recent = await (await this.service.store()).call('listTraces', INITIAL_TRACES, 0);
        for (const t of recent.reverse()) this.pending.traceIds.add(t.traceId);
      } catch (err) {
        this.log.warn(`[editor] could not list traces: ${(err as Error).message}`);
      }
    });
    this.flushSoon(0);
  }

  private queue(c: StoreChange): void {
    if (!this.loaded) return; // read in full on first use
    if (c.cleared) this.pending = { traceIds: new Set(), cleared: true, deleted: new Set() };
    for (const id of c.deletedTraceIds) {
      this.pending.deleted.add(id);
      this.pending.traceIds.delete(id);
    }
    for (const id of c.traceIds) this.pending.traceIds.add(id);
    this.flushSoon(DEBOUNCE_MS);
  }

  private flushSoon(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush());
    }, ms);
  }

  private async flush(): Promise<void> {
    const { traceIds, cleared, deleted } = this.pending;
    this.pending = { traceIds: new Set(), cleared: false, deleted: new Set() };
    if (cleared) for (const id of [...this.byTrace.keys()]) this.forget(id);
    for (const id of deleted) this.forget(id);
    const root = workspaceRoot();
    if (root) {
      for (const id of traceIds) {
        try {
          await this.read(id, root);
        } catch (err) {
          this.log.warn(`[editor] could not place the calls of trace ${id}: ${(err as Error).message}`);
        }
      }
    }
    while (this.byTrace.size > MAX_TRACES) this.forget(this.byTrace.keys().next().value!);
    this.index = buildSites(this.calls.values(), (c) => this.lineOf(c));
    this.changed.fire();
  }

  private async read(traceId: string, root: string): Promise<void> {
    const store = await this.service.store();
    const [view, summary] = await Promise.all([store.traceView(traceId), store.call('traceSummary', traceId)]);
    if (!view || !summary) {
      this.forget(traceId);
      return;
    }
    const sources = await store.traceSources(traceId, root);
    // Calls the workspace index could not place: the editor's symbol providers may know the names.
    const calls = view.spans.filter((s) => (s.kind === 'llm' || s.kind === 'embedding') && !sources[s.id]);
    const unplaced = calls.length ? await store.unplacedNames(traceId, calls.map((s) => s.id)) : {};
    for (const s of calls) if (unplaced[s.id]) sources[s.id] = await this.symbols.locate(unplaced[s.id]!, root);
    this.forget(traceId, true);
    const t0 = BigInt(view.startTimeUnixNano);
    const keys: string[] = [];
    for (const s of view.spans) {
      if (s.kind !== 'llm' && s.kind !== 'embedding') continue;
      const location = sources[s.id];
      if (!location) {
        this.unplaced.delete(traceId);
        this.unplaced.add(traceId);
        if (this.unplaced.size > MAX_UNPLACED) this.unplaced.delete(this.unplaced.values().next().value!);
        continue;
      }
      const call: LocatedCall = {
        traceId, spanId: s.id, runId: summary.runId, startTimeUnixNano: String(t0 + BigInt(Math.round((s.startMs - s.skewMs) * 1e6))),
        location, summary: s.summary, name: s.name, error: s.error,
      };
      const key = callKey(call);
      this.calls.set(key, call);
      keys.push(key);
    }
    if (keys.length) this.byTrace.set(traceId, keys);
  }

  /** Drops a trace's calls; `keepMoves` when it is about to be read again (edits still apply). */
  private forget(traceId: string, keepMoves = false): void {
    this.unplaced.delete(traceId);
    for (const key of this.byTrace.get(traceId) ?? []) {
      this.calls.delete(key);
      if (!keepMoves) this.moved.delete(key);
      this.details.delete(key);
    }
    this.byTrace.delete(traceId);
  }

  private lineOf(c: LocatedCall): number | null {
    const key = callKey(c);
    return this.moved.has(key) ? this.moved.get(key)! : c.location.line;
  }

  /**
   * Moves the sites of an edited document with its lines; fires only when a site moved or went.
   * Undo and revert arrive as edits too (revert as the minimal edit), so they move sites back.
   */
  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.document.uri.scheme !== 'file' || e.contentChanges.length === 0) return;
    const path = e.document.uri.fsPath;
    const inFile = [...this.calls.values()].filter((c) => c.location.path === path);
    if (inFile.length === 0) return;
    let any = false;
    for (const change of e.contentChanges) {
      const lc = {
        start: { line: change.range.start.line + 1, character: change.range.start.character },
        end: { line: change.range.end.line + 1, character: change.range.end.character },
        insertedLines: change.text.split('\n').length - 1,
      };
      for (const c of inFile) {
        const before = this.lineOf(c);
        if (before === null) continue;
        const after = moveLine(before, lc);
        if (after !== before) {
          this.moved.set(callKey(c), after);
          any = true;
        }
      }
    }
    if (any) this.reindex(path, inFile);
  }

  private reindex(path: string, inFile: LocatedCall[]): void {
    const sites = buildSites(inFile, (c) => this.lineOf(c)).get(path);
    if (sites) this.index.set(path, sites);
    else this.index.delete(path);
    this.changed.fire();
  }

  private fileChanged(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || /[\\/](node_modules|\.git)[\\/]/.test(uri.fsPath)) return;
    this.changedFiles.add(uri.fsPath);
    if (this.filesTimer) clearTimeout(this.filesTimer);
    this.filesTimer = setTimeout(() => void this.tellStore(), WORKSPACE_DEBOUNCE_MS);
  }

  /** Lets the store redo heuristic locations in changed files, then reads again the traces placed by them. */
  private async tellStore(): Promise<void> {
    this.filesTimer = undefined;
    const files = [...this.changedFiles];
    this.changedFiles.clear();
    const root = workspaceRoot();
    if (!root || files.length === 0) return;
    try {
      await (await this.service.store()).workspaceChanged(root, files);
    } catch (err) {
      this.log.warn(`[editor] could not tell the store about changed files: ${(err as Error).message}`);
      return;
    }
    for (const id of this.unplaced) this.pending.traceIds.add(id);
    this.unplaced.clear();
    const touched = new Set(files);
    for (const c of this.calls.values()) {
      if (c.location.method === 'attribute' || c.location.method === 'stack' || !touched.has(c.location.path)) continue;
      this.pending.traceIds.add(c.traceId);
      this.moved.delete(callKey(c)); // placed anew against the saved file
    }
    if (this.pending.traceIds.size) this.flushSoon(DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.filesTimer) clearTimeout(this.filesTimer);
    for (const d of this.disposables) d.dispose();
  }
}
