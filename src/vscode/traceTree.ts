/**
 * The Runs & Traces view (`spanlens.traces`): runs → traces → spans, live. Node objects are kept
 * per run, trace and span id and reused, so a refresh of one node keeps expansion and selection;
 * store changes are coalesced (at most one refresh per 100 ms) and fire only the nodes they touch.
 * What each item says comes from src/core/views/treeModel.ts.
 */
import * as vscode from 'vscode';
import type { StoreChange } from '../core/store/spanStore.js';
import type { RunSummary, TraceSummary } from '../core/store/spanTables.js';
import type { StoreClient } from '../core/store/storeClient.js';
import {
  KIND_ICONS, NO_FILTER, type SpanHierarchy, type TreeFilter, buildHierarchy, emptyFilterMessage, filterActive, filterDescription, filterMessage,
  filterHierarchy, oneLine, runDescription, runLabel, runTooltip, runsWithMatches, shownParent, spanDescription, spanTooltip, traceDescription,
  traceLabel, traceMatches, traceTooltip,
} from '../core/views/treeModel.js';
import type { TimelineSpan } from '../shared/traceView.js';
import type { ReceiverService } from './receiverService.js';
import { registerTreeCommands } from './treeCommands.js';

export const TRACES_VIEW_ID = 'spanlens.traces';
/** Refreshes wait this long to take in the batches arriving meanwhile (a span shows within ~250 ms). */
const REFRESH_DELAY_MS = 100;
/** Traces listed under one run; past this, an item says how many more there are. */
const TRACES_PER_RUN = 1000;
/** Spans listed under one trace or span; the timeline shows the rest. */
const SPANS_PER_LEVEL = 2000;
/** Span hierarchies kept in memory (most recently used); others are read again when expanded. */
const HIERARCHIES_KEPT = 200;
/** Recent traces read to decide which runs a filter keeps. */
const FILTER_SCAN_TRACES = 5000;
/** Span items start expanded in traces up to this size. */
const EXPAND_SPANS_UP_TO = 200;
/** Past this many known traces touched at once (a run pinned), their runs are re-listed instead. */
const TRACE_SUMMARIES_PER_REFRESH = 50;

export interface RunNode { readonly kind: 'run'; readonly runId: string; summary: RunSummary }
export interface TraceNode { readonly kind: 'trace'; readonly traceId: string; summary: TraceSummary }
/** `traceId` and `spanId` make a span node a valid `spanlens.openTimeline` argument as it is. */
export interface SpanNode { readonly kind: 'span'; readonly traceId: string; readonly spanId: string; span: TimelineSpan }
/** Stands for the items past a listing's limit (the oldest traces of a run, the last spans of a level). */
interface MoreNode { readonly kind: 'more'; readonly key: string; readonly parent: RunNode | TraceNode | SpanNode; hidden: number }
export type TreeNode = RunNode | TraceNode | SpanNode | MoreNode;

/** One item on the way to a revealed node, as shown. */
export interface PathItem { label: string; description: string; tooltip: string }

/** Arguments of `spanlens.openTimeline` (implemented by the timeline). */
export interface OpenTimelineArgs { traceId: string; spanId?: string }

interface HierarchyEntry {
  base: Promise<SpanHierarchy | null>;
  /** The base filtered by the filter of that version, computed once per version. */
  filtered?: { version: number; hierarchy: SpanHierarchy | null };
}

/** The displayed fields of a run: a change elsewhere (its end time) needs no repaint. */
const runShown = (r: RunSummary): string => `${r.service}\n${r.startTimeUnixNano}\n${r.traceCount}\n${r.pinned}`;

export class TraceTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly runs = new Map<string, RunNode>();
  private readonly traces = new Map<string, TraceNode>();
  private readonly spans = new Map<string, Map<string, SpanNode>>();
  private readonly more = new Map<string, MoreNode>();
  private readonly hierarchies = new Map<string, HierarchyEntry>();
  /** Run ids in the order last listed at the root; undefined until the root was listed. */
  private rootKeys: string | undefined;
  private filter: TreeFilter = NO_FILTER;
  private filterVersion = 0;
  private pending: { traceIds: Set<string>; deleted: Set<string>; cleared: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly filterChanged = new vscode.EventEmitter<TreeFilter>();
  /** Fired when a filter is set or cleared. */
  readonly onDidChangeFilter = this.filterChanged.event;
  private readonly emptyChanged = new vscode.EventEmitter<boolean>();
  /** Fired after the root was listed: true when a filter hides every run. */
  readonly onDidFilterOutAll = this.emptyChanged.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly service: ReceiverService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = service.onDidChangeSpans((c) => this.queue(c));
  }

  get currentFilter(): TreeFilter {
    return this.filter;
  }

  setFilter(filter: TreeFilter): void {
    this.filter = filter;
    this.filterVersion++;
    this.filterChanged.fire(filter);
    this.changed.fire(undefined);
  }

  /** Re-reads everything (the Refresh action); nodes stay the same objects. */
  refresh(): void {
    this.hierarchies.clear();
    this.changed.fire(undefined);
  }

  private store(): Promise<StoreClient> {
    return this.service.store();
  }

  // ---- items

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const r = node.summary;
        const item = new vscode.TreeItem(runLabel(r), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run/${r.runId}`;
        item.description = runDescription(r);
        item.tooltip = markdown(runTooltip(r));
        item.iconPath = new vscode.ThemeIcon(r.pinned ? 'pinned' : 'run-all');
        item.contextValue = r.pinned ? 'run.pinned' : 'run';
        return item;
      }
      case 'trace': {
        const t = node.summary;
        const item = new vscode.TreeItem(traceLabel(t), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `trace/${t.traceId}`;
        item.description = traceDescription(t);
        item.tooltip = markdown(traceTooltip(t));
        item.iconPath = new vscode.ThemeIcon(t.pinned ? 'pinned' : 'list-tree', t.errorCount ? new vscode.ThemeColor('errorForeground') : undefined);
        item.contextValue = t.pinned ? 'trace.pinned' : 'trace';
        return item;
      }
      case 'span': {
        const s = node.span;
        const h = this.shownHierarchy(node.traceId);
        const hasChildren = (h?.children.get(s.id)?.length ?? 0) > 0;
        // Small traces open whole; a large one opens level by level.
        const state = !hasChildren ? vscode.TreeItemCollapsibleState.None : h!.byId.size <= EXPAND_SPANS_UP_TO ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
        const item = new vscode.TreeItem(oneLine(s.name) || '(unnamed span)', state);
        item.id = `span/${node.traceId}/${s.id}`;
        item.description = spanDescription(s);
        item.tooltip = markdown(spanTooltip(s));
        item.iconPath = new vscode.ThemeIcon(KIND_ICONS[s.kind] ?? KIND_ICONS.other, s.error ? new vscode.ThemeColor('errorForeground') : undefined);
        item.contextValue = 'span';
        const args: OpenTimelineArgs = { traceId: node.traceId, spanId: s.id };
        item.command = { command: 'spanlens.openTimeline', title: 'Open Timeline', arguments: [args] };
        return item;
      }
      case 'more': {
        const ofRun = node.parent.kind === 'run';
        const item = new vscode.TreeItem(`${node.hidden} more ${ofRun ? 'older traces' : 'spans'} not listed`, vscode.TreeItemCollapsibleState.None);
        item.id = `more/${node.key}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.tooltip = ofRun ? 'Only the newest traces of a run are listed here. Export the run to get them all.' : 'Open the timeline to see every span of this trace.';
        if (node.parent.kind !== 'run') {
          const args: OpenTimelineArgs = { traceId: node.parent.traceId };
          item.command = { command: 'spanlens.openTimeline', title: 'Open Timeline', arguments: [args] };
        }
        return item;
      }
    }
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      if (!node) return await this.rootChildren();
      if (node.kind === 'run') return await this.runChildren(node);
      if (node.kind === 'trace' || node.kind === 'span') {
        const h = await this.hierarchy(node.traceId);
        if (!h) return [];
        const list = node.kind === 'trace' ? h.roots : h.children.get(node.span.id) ?? [];
        const nodes: TreeNode[] = list.slice(0, SPANS_PER_LEVEL).map((s) => this.spanNode(node.traceId, s));
        if (list.length > SPANS_PER_LEVEL) nodes.push(this.moreNode(node, list.length - SPANS_PER_LEVEL));
        return nodes;
      }
      return [];
    } catch (err) {
      this.log.error(`[tree] listing ${node ? node.kind : 'runs'} failed: ${(err as Error).message}`);
      return [];
    }
  }

  async getParent(node: TreeNode): Promise<TreeNode | undefined> {
    switch (node.kind) {
      case 'run':
        return undefined;
      case 'more':
        return node.parent;
      case 'trace':
        return this.runs.get(node.summary.runId);
      case 'span': {
        const h = await this.hierarchy(node.traceId);
        const parent = h ? shownParent(h, node.span.id) : null;
        return parent ? this.spanNode(node.traceId, parent) : this.traces.get(node.traceId);
      }
    }
  }

  private async rootChildren(): Promise<TreeNode[]> {
    const store = await this.store();
    let runs = await store.call('listRuns');
    this.rootKeys = runs.map((r) => r.runId).join('\n');
    const listed = new Set(runs.map((r) => r.runId));
    for (const id of this.runs.keys()) if (!listed.has(id)) this.runs.delete(id);
    if (filterActive(this.filter)) {
      const keep = runsWithMatches(await store.call('listTraces', FILTER_SCAN_TRACES, 0), this.filter);
      runs = runs.filter((r) => keep.has(r.runId));
      this.emptyChanged.fire(runs.length === 0);
    } else this.emptyChanged.fire(false);
    return runs.map((r) => this.runNode(r));
  }

  private async runChildren(run: RunNode): Promise<TreeNode[]> {
    const store = await this.store();
    const list = await store.call('listTraces', TRACES_PER_RUN, 0, run.runId);
    const nodes: TreeNode[] = list.filter((t) => traceMatches(t, this.filter)).map((t) => this.traceNode(t));
    const hidden = run.summary.traceCount - list.length;
    if (hidden > 0) nodes.push(this.moreNode(run, hidden));
    return nodes;
  }

  private moreNode(parent: MoreNode['parent'], hidden: number): MoreNode {
    const key = parent.kind === 'run' ? `run/${parent.runId}` : parent.kind === 'trace' ? `trace/${parent.traceId}` : `span/${parent.traceId}/${parent.spanId}`;
    let node = this.more.get(key);
    if (!node || node.parent !== parent) this.more.set(key, (node = { kind: 'more', key, parent, hidden }));
    node.hidden = hidden;
    return node;
  }

  private runNode(r: RunSummary): RunNode {
    let node = this.runs.get(r.runId);
    if (!node) this.runs.set(r.runId, (node = { kind: 'run', runId: r.runId, summary: r }));
    node.summary = r;
    return node;
  }

  private traceNode(t: TraceSummary): TraceNode {
    let node = this.traces.get(t.traceId);
    if (!node) this.traces.set(t.traceId, (node = { kind: 'trace', traceId: t.traceId, summary: t }));
    node.summary = t;
    return node;
  }

  private spanNode(traceId: string, s: TimelineSpan): SpanNode {
    let byId = this.spans.get(traceId);
    if (!byId) this.spans.set(traceId, (byId = new Map()));
    let node = byId.get(s.id);
    if (!node) byId.set(s.id, (node = { kind: 'span', traceId, spanId: s.id, span: s }));
    node.span = s;
    return node;
  }

  /** A trace's span hierarchy under the current filter; read from the store once per change of the trace. */
  private async hierarchy(traceId: string): Promise<SpanHierarchy | null> {
    let entry = this.hierarchies.get(traceId);
    if (entry) {
      this.hierarchies.delete(traceId);
      this.hierarchies.set(traceId, entry);
    } else {
      const base = this.store()
        .then((store) => store.traceView(traceId))
        .then((view) => (view ? buildHierarchy(view) : null));
      this.hierarchies.set(traceId, (entry = { base }));
      if (this.hierarchies.size > HIERARCHIES_KEPT) this.hierarchies.delete(this.hierarchies.keys().next().value!);
      // A failed read is not kept: the next expansion tries again.
      base.catch(() => this.hierarchies.get(traceId) === entry && this.hierarchies.delete(traceId));
    }
    const base = await entry.base;
    if (entry.filtered?.version !== this.filterVersion) entry.filtered = { version: this.filterVersion, hierarchy: base && filterHierarchy(base, this.filter) };
    return entry.filtered.hierarchy;
  }

  /** The filtered hierarchy when already computed (getTreeItem is synchronous). */
  private shownHierarchy(traceId: string): SpanHierarchy | null | undefined {
    const f = this.hierarchies.get(traceId)?.filtered;
    return f?.version === this.filterVersion ? f.hierarchy : undefined;
  }

  // ---- lookups for commands and reveal

  /** The node of a trace, or of a span of it, as the tree shows it now; undefined when hidden or gone. */
  async nodeFor(traceId: string, spanId?: string): Promise<TraceNode | SpanNode | undefined> {
    const store = await this.store();
    const summary = await store.call('traceSummary', traceId);
    if (!summary || !traceMatches(summary, this.filter)) return undefined;
    if (!this.runs.has(summary.runId)) {
      const run = (await store.call('listRuns')).find((r) => r.runId === summary.runId);
      if (!run) return undefined;
      this.runNode(run);
    }
    const trace = this.traceNode(summary);
    if (!spanId) return trace;
    const span = (await this.hierarchy(traceId))?.byId.get(spanId);
    return span ? this.spanNode(traceId, span) : undefined;
  }

  /** Labels, descriptions and tooltips (their Markdown) from the root down to a node: what a person sees on the way to it. */
  async pathOf(node: TreeNode): Promise<PathItem[]> {
    const path: PathItem[] = [];
    for (let n: TreeNode | undefined = node; n; n = await this.getParent(n)) {
      if (n.kind === 'span') await this.hierarchy(n.traceId); // so getTreeItem sees the children
      const item = this.getTreeItem(n);
      const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
      path.unshift({ label: String(typeof item.label === 'object' ? item.label.label : item.label ?? ''), description: String(item.description ?? ''), tooltip });
    }
    return path;
  }

  // ---- live updates

  private queue(c: StoreChange): void {
    const p = (this.pending ??= { traceIds: new Set(), deleted: new Set(), cleared: false });
    if (c.cleared) {
      p.cleared = true;
      p.traceIds.clear();
      p.deleted.clear();
    }
    for (const id of c.traceIds) p.traceIds.add(id);
    for (const id of c.deletedTraceIds) {
      p.deleted.add(id);
      p.traceIds.delete(id);
    }
    // A fixed delay from the first change, not reset by later ones: a steady stream still shows.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, REFRESH_DELAY_MS);
  }

  private async flush(): Promise<void> {
    if (this.flushing) {
      // One refresh at a time; what arrived meanwhile goes next.
      await this.flushing;
      if (this.timer || !this.pending) return;
    }
    const work = this.pending;
    this.pending = undefined;
    if (!work) return;
    this.flushing = this.apply(work)
      .catch((err: Error) => this.log.error(`[tree] refresh failed: ${err.message}`))
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private forgetTrace(traceId: string): void {
    this.traces.delete(traceId);
    this.spans.delete(traceId);
    this.hierarchies.delete(traceId);
  }

  private async apply(work: { traceIds: Set<string>; deleted: Set<string>; cleared: boolean }): Promise<void> {
    if (work.cleared) {
      this.runs.clear();
      this.traces.clear();
      this.spans.clear();
      this.more.clear();
      this.hierarchies.clear();
    }
    for (const id of [...work.traceIds, ...work.deleted]) this.hierarchies.delete(id);
    // Nothing listed yet, or a filter decides which runs show: list again from the root.
    if (work.cleared || this.rootKeys === undefined || filterActive(this.filter)) {
      for (const id of work.deleted) this.forgetTrace(id);
      this.changed.fire(undefined);
      return;
    }
    const store = await this.store();
    const runs = await store.call('listRuns');
    const dirtyRuns = new Set<RunNode>();
    const dirtyTraces = new Set<TraceNode>();
    const rootDirty = runs.map((r) => r.runId).join('\n') !== this.rootKeys;
    for (const r of runs) {
      const node = this.runs.get(r.runId);
      if (node && runShown(node.summary) !== runShown(r)) dirtyRuns.add(node);
      if (node) node.summary = r;
    }
    for (const id of work.deleted) {
      const node = this.traces.get(id);
      const run = node && this.runs.get(node.summary.runId);
      if (run) dirtyRuns.add(run);
      this.forgetTrace(id);
    }
    // Known traces get their new summary; a new trace shows through its run's new trace count.
    let known = [...work.traceIds].map((id) => this.traces.get(id)).filter((n): n is TraceNode => n !== undefined);
    if (known.length > TRACE_SUMMARIES_PER_REFRESH) {
      for (const n of known) {
        const run = this.runs.get(n.summary.runId);
        if (run) dirtyRuns.add(run);
      }
      known = [];
    }
    const summaries = await Promise.all(known.map((n) => store.call('traceSummary', n.traceId)));
    known.forEach((node, i) => {
      const s = summaries[i];
      if (!s) return this.forgetTrace(node.traceId);
      const before = this.runs.get(node.summary.runId);
      if (s.runId !== node.summary.runId && before) dirtyRuns.add(before);
      node.summary = s;
      dirtyTraces.add(node);
    });
    if (rootDirty) {
      this.changed.fire(undefined);
      return;
    }
    for (const run of dirtyRuns) this.changed.fire(run);
    for (const trace of dirtyTraces) {
      const run = this.runs.get(trace.summary.runId);
      if (!run || !dirtyRuns.has(run)) this.changed.fire(trace);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
    this.filterChanged.dispose();
    this.emptyChanged.dispose();
  }
}

/** Tooltip Markdown from the tree model (trace text already escaped there): never trusted, no HTML. */
function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

/**
 * The view and its provider, with filter state shown in the view's description, message and
 * context keys (`spanlens.traces.filter.errors|llm|search`, `spanlens.traces.filtered`), selection sync with
 * the timeline, and `spanlens.revealSpan`.
 */
export class TraceTree implements vscode.Disposable {
  readonly viewId = TRACES_VIEW_ID;
  readonly provider: TraceTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly disposables: vscode.Disposable[] = [];
  /** A selection this side made (reveal): not echoed back to the timeline. */
  private revealing: string | undefined;

  constructor(service: ReceiverService, log: vscode.LogOutputChannel) {
    this.provider = new TraceTreeProvider(service, log);
    this.view = vscode.window.createTreeView(TRACES_VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true, canSelectMany: true });
    this.disposables.push(
      this.provider,
      this.view,
      this.provider.onDidChangeFilter((f) => this.showFilter(f)),
      this.provider.onDidFilterOutAll((none) => this.showMessage(this.provider.currentFilter, none)),
      this.view.onDidChangeSelection((e) => this.selected(e.selection)),
      vscode.commands.registerCommand('spanlens.revealSpan', (traceId: string, spanId?: string, options?: { show?: boolean }) => this.reveal(traceId, spanId, options)),
    );
    this.showFilter(this.provider.currentFilter);
  }

  /** The filter in the view's message: a narrow side bar cuts the description. */
  private showMessage(f: TreeFilter, nothingShown: boolean): void {
    this.view.message = !filterActive(f) ? undefined : nothingShown ? emptyFilterMessage(f) : filterMessage(f);
  }

  private showFilter(f: TreeFilter): void {
    this.view.description = filterActive(f) ? filterDescription(f) : undefined;
    this.showMessage(f, false);
    void vscode.commands.executeCommand('setContext', 'spanlens.traces.filter.errors', f.errorsOnly);
    void vscode.commands.executeCommand('setContext', 'spanlens.traces.filter.llm', f.llmOnly);
    void vscode.commands.executeCommand('setContext', 'spanlens.traces.filter.search', f.search !== null);
    void vscode.commands.executeCommand('setContext', 'spanlens.traces.filtered', filterActive(f));
  }

  private selected(selection: readonly TreeNode[]): void {
    const node = selection.length === 1 ? selection[0] : undefined;
    const echo = node?.kind === 'span' && this.revealing === `${node.traceId}/${node.span.id}`;
    this.revealing = undefined;
    if (node?.kind !== 'span' || echo) return;
    try {
      // The timeline may not be open (or not exist in this build): nothing to sync then.
      void vscode.commands.executeCommand('spanlens.timeline.select', node.traceId, node.span.id).then(undefined, () => undefined);
    } catch {
      // executeCommand threw synchronously: same as above.
    }
  }

  /**
   * Reveals and selects a trace or span without taking focus, when the view is visible (or
   * `show` asks to open it): following the timeline must not switch the side bar away from the
   * user's view. Resolves to the path of labels, descriptions and tooltips from the root to the item, or
   * undefined when it is not in the tree (gone or filtered out).
   */
  async reveal(traceId: string, spanId?: string, options?: { show?: boolean }): Promise<PathItem[] | undefined> {
    if (typeof traceId !== 'string') return undefined;
    const node = await this.provider.nodeFor(traceId, spanId);
    if (!node) return undefined;
    if (!this.view.visible && !options?.show) return this.provider.pathOf(node);
    const key = node.kind === 'span' ? `${traceId}/${node.span.id}` : undefined;
    const already = key !== undefined && this.view.selection.length === 1 && this.view.selection[0] === node;
    this.revealing = already ? undefined : key;
    try {
      await this.view.reveal(node, { select: true, focus: false, expand: node.kind === 'trace' ? 1 : false });
    } catch {
      this.revealing = undefined;
      return undefined;
    }
    return this.provider.pathOf(node);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The Runs & Traces view with its commands. In `activate`:
 * `context.subscriptions.push(...registerTraceTree(service, log));`
 */
export function registerTraceTree(service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const tree = new TraceTree(service, log);
  return [tree, ...registerTreeCommands(tree, service, log)];
}
