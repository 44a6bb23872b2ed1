/**
 * The trace page: holds what the user did to the trace (folding, filter, time window, selection,
 * scroll), turns host messages and keys into changes of it, and keeps it in the webview state so
 * a hidden or reloaded panel comes back as it was. Drawing is in ui/, the math in timeline/.
 */
import { formatDuration } from '../../src/shared/format.js';
import type { WebviewState } from '../../src/shared/protocol.js';
import type { TraceView } from '../../src/shared/traceView.js';
import type { Channel, PageMessage } from './channel.js';
import { criticalPath, type CriticalSegment } from './timeline/criticalPath.js';
import { isNavKey, navigate, positionOf } from './timeline/navigation.js';
import { clampWindow, fullWindow, scrollToReveal, type TimeWindow } from './timeline/scale.js';
import { buildTree, filterRows, keepKnown, revealRow, toggleRow, visibleRows, type RowFilter, type TreeIndex } from './timeline/tree.js';
import { DetailView } from './ui/detailView.js';
import { buildLayout, type Layout } from './ui/layout.js';
import { ROW_HEIGHT, RowsView } from './ui/rowsView.js';
import { TimeNavigator } from './ui/timeNavigator.js';

const DEFAULT_DETAIL_WIDTH = 420;

export class TraceApp {
  private readonly layout: Layout;
  private readonly rows: RowsView;
  private readonly nav: TimeNavigator;
  private readonly detail: DetailView;
  private view: TraceView | null = null;
  private tree: TreeIndex = buildTree([]);
  private collapsed = new Set<string>();
  private filter: RowFilter = {};
  private visible: Int32Array = new Int32Array(0);
  private critical = new Map<string, CriticalSegment[]>();
  private selectedId: string | null = null;
  private state: WebviewState;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement, private readonly channel: Channel) {
    this.state = channel.getState();
    this.layout = buildLayout(root, this.state.detailWidth ?? DEFAULT_DETAIL_WIDTH, (px) => this.save({ detailWidth: Math.round(px) }));
    this.rows = new RowsView(this.layout.rowsHost, {
      select: (row) => this.select(row, { notify: true }),
      toggle: (row) => this.setCollapsed(toggleRow(this.tree, this.collapsed, row)),
      open: (row) => this.open(row),
    });
    this.nav = new TimeNavigator(this.layout, (w) => {
      this.rows.setWindow(w, this.nav.laneWidth);
      // Before the first trace the window means nothing: keep the restored one.
      if (this.view) this.save({ window: [w[0], w[1]] });
    });
    this.detail = new DetailView(this.layout.detail, channel);
    this.rows.scroller.addEventListener('keydown', (e) => this.onKey(e));
    // A freshly focused panel has the focus on its body: the keys still drive the timeline.
    document.addEventListener('keydown', (e) => {
      if (e.target === document.body) this.onKey(e);
    });
    this.rows.scroller.addEventListener('scroll', () => {
      if (this.view) this.save({ scrollTop: this.rows.scroller.scrollTop });
    });
    this.layout.filter.addEventListener('input', () => this.setFilter({ ...this.filter, text: this.layout.filter.value }));
    this.layout.errorsOnly.addEventListener('change', () => this.setFilter({ ...this.filter, errorsOnly: this.layout.errorsOnly.checked }));
    new ResizeObserver(() => this.resize()).observe(this.layout.pane);
    this.showNotice('Waiting for the trace…');
  }

  handle(message: PageMessage): void {
    switch (message.method) {
      case 'trace': {
        const sameTrace = this.state.traceId === message.params.view.traceId;
        // A restored page (same trace) gets back its folding, window, scroll and selection.
        const saved = sameTrace ? this.state : {};
        this.load(message.params.view, saved.collapsed ?? [], saved.window ?? null, message.params.selectedSpanId ?? saved.selectedSpanId ?? null);
        this.rows.scroller.scrollTop = sameTrace ? (saved.scrollTop ?? 0) : 0;
        this.revealSelected();
        return;
      }
      case 'traceUpdated': {
        const old = this.view;
        const wasFull = old !== null && this.nav.current[0] <= 0 && this.nav.current[1] >= fullWindow(old.durationMs)[1];
        const scrollTop = this.rows.scroller.scrollTop;
        this.load(message.params.view, this.collapsed, wasFull ? null : this.nav.current, this.selectedId, true);
        this.rows.scroller.scrollTop = scrollTop;
        return;
      }
      case 'select': {
        const row = this.tree.indexById.get(message.params.spanId);
        if (row === undefined) return;
        this.select(row, { notify: false, reveal: true });
        return;
      }
    }
  }

  private load(view: TraceView, collapsed: Iterable<string>, window: TimeWindow | null, selectedId: string | null, update = false): void {
    this.view = view;
    this.tree = buildTree(view.spans);
    this.collapsed = keepKnown(this.tree, collapsed);
    this.critical = new Map();
    for (const seg of criticalPath(this.tree).segments) {
      const list = this.critical.get(seg.spanId);
      if (list) list.push(seg);
      else this.critical.set(seg.spanId, [seg]);
    }
    this.layout.title.textContent = view.name || view.traceId;
    this.layout.count.textContent = `${view.spans.length.toLocaleString('en-US')} spans · ${formatDuration(view.durationMs)}${view.duplicates ? ` · ${view.duplicates} duplicate ids dropped` : ''}`;
    this.showNotice(view.spans.length === 0 ? 'This trace has no spans.' : null);
    this.nav.setTrace(this.tree.spans, view.durationMs);
    this.selectedId = selectedId !== null && this.tree.indexById.has(selectedId) ? selectedId : null;
    // A span the host asks for is shown even when a saved fold hid it (an update keeps the user's folds).
    if (this.selectedId !== null && !update) this.collapsed = revealRow(this.tree, this.collapsed, this.tree.indexById.get(this.selectedId)!);
    this.refresh();
    this.nav.setWindow(window ? clampWindow(window, view.durationMs) : fullWindow(view.durationMs));
    if (this.selectedId) this.detail.show(this.selectedId, update);
    else this.detail.clear();
    this.save({ traceId: view.traceId, collapsed: [...this.collapsed], selectedSpanId: this.selectedId ?? undefined });
  }

  /** Recomputes the shown rows after folding, filtering or a new trace, and redraws them. */
  private refresh(): void {
    this.visible = visibleRows(this.tree, this.collapsed, filterRows(this.tree, this.filter));
    const selected = this.selectedId === null ? -1 : (this.tree.indexById.get(this.selectedId) ?? -1);
    this.rows.setModel({ tree: this.tree, visible: this.visible, collapsed: this.collapsed, selected, critical: this.critical });
  }

  private setCollapsed(next: Set<string>): void {
    this.collapsed = next;
    this.refresh();
    this.save({ collapsed: [...next] });
  }

  private setFilter(filter: RowFilter): void {
    this.filter = filter;
    this.refresh();
  }

  private select(row: number, opts: { notify: boolean; reveal?: boolean }): void {
    const span = this.tree.spans[row];
    if (!span) return;
    if (opts.reveal && positionOf(this.visible, row) < 0) {
      // The host asked for a span we hide: unfold its ancestors and drop a filter that hides it.
      this.collapsed = revealRow(this.tree, this.collapsed, row);
      if (this.filter.text || this.filter.errorsOnly) {
        this.filter = {};
        this.layout.filter.value = '';
        this.layout.errorsOnly.checked = false;
      }
    }
    this.selectedId = span.id;
    this.refresh();
    this.revealSelected();
    this.save({ selectedSpanId: span.id, collapsed: [...this.collapsed] });
    if (opts.notify) this.channel.notify('selected', { spanId: span.id });
    this.detail.show(span.id);
  }

  private open(row: number): void {
    const span = this.tree.spans[row];
    if (span) this.channel.notify('openSpan', { spanId: span.id });
  }

  private revealSelected(): void {
    const row = this.selectedId === null ? undefined : this.tree.indexById.get(this.selectedId);
    if (row === undefined) return;
    const pos = positionOf(this.visible, row);
    if (pos < 0) return;
    const s = this.rows.scroller;
    const top = scrollToReveal(pos, s.scrollTop, s.clientHeight, ROW_HEIGHT);
    if (top !== s.scrollTop) s.scrollTop = top;
    this.rows.render();
  }

  private onKey(e: KeyboardEvent): void {
    const selected = this.selectedId === null ? -1 : (this.tree.indexById.get(this.selectedId) ?? -1);
    if (e.key === 'Enter') {
      if (selected >= 0) this.open(selected);
      e.preventDefault();
      return;
    }
    if (!isNavKey(e.key)) return;
    e.preventDefault();
    const page = Math.max(1, Math.floor(this.rows.scroller.clientHeight / ROW_HEIGHT) - 1);
    const result = navigate(this.tree, this.visible, this.collapsed, selected, e.key, page);
    if (result.toggle !== undefined) this.setCollapsed(toggleRow(this.tree, this.collapsed, result.toggle));
    if (result.select !== undefined && result.select !== selected) this.select(result.select, { notify: true });
  }

  private resize(): void {
    const label = this.layout.axisHost.getBoundingClientRect().left - this.layout.pane.getBoundingClientRect().left;
    const lane = Math.max(1, this.rows.scroller.clientWidth - label);
    this.nav.setGeometry(label, label + lane);
    this.rows.render();
  }

  private showNotice(text: string | null): void {
    this.layout.notice.hidden = text === null;
    this.layout.notice.textContent = text ?? '';
  }

  /** Merges into the saved state; written once things settle (zoom and scroll fire per frame). */
  private save(patch: Partial<WebviewState>): void {
    this.state = { ...this.state, ...patch };
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.channel.setState(this.state);
    }, 100);
  }
}
