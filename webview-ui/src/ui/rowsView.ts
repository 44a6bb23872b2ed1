/**
 * The waterfall's rows, virtualized: a spacer as tall as all shown rows and a small pool of row
 * elements that are moved to the rows on screen as the user scrolls. A zoom or pan frame only
 * repositions the pooled rows' bars (`placeBars`), so its cost does not depend on the trace's size.
 * All trace text goes in through `textContent`.
 */
import { formatDuration } from '../../../src/shared/format.js';
import type { CriticalSegment } from '../timeline/criticalPath.js';
import { barGeometry, timeScale, virtualRange, type TimeWindow } from '../timeline/scale.js';
import { hasChildren, type TreeIndex } from '../timeline/tree.js';

export const ROW_HEIGHT = 22;
const INDENT_PX = 12;
const MAX_INDENT_PX = 240;

export interface RowsModel {
  tree: TreeIndex;
  /** Tree indices of the shown rows, in order. */
  visible: Int32Array;
  collapsed: ReadonlySet<string>;
  /** Tree index of the selected row, -1 for none. */
  selected: number;
  critical: ReadonlyMap<string, readonly CriticalSegment[]>;
}

export interface RowsHandlers {
  select(row: number): void;
  toggle(row: number): void;
  open(row: number): void;
}

interface PooledRow {
  el: HTMLDivElement;
  label: HTMLDivElement;
  fold: HTMLSpanElement;
  kind: HTMLSpanElement;
  name: HTMLSpanElement;
  mark: HTMLSpanElement;
  summary: HTMLSpanElement;
  lane: HTMLDivElement;
  bar: HTMLDivElement;
  ttft: HTMLDivElement;
  crit: HTMLDivElement[];
  /** Tree index shown, -1 when unused. */
  row: number;
}

export class RowsView {
  readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly pool: PooledRow[] = [];
  private readonly rowOf = new WeakMap<Element, number>();
  private model: RowsModel | null = null;
  private window: TimeWindow = [0, 1];
  private laneWidth = 0;

  constructor(parent: HTMLElement, private readonly handlers: RowsHandlers) {
    this.scroller = el('div', 'rows');
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'tree');
    this.scroller.setAttribute('aria-label', 'Spans');
    this.spacer = el('div', 'rows-spacer');
    this.scroller.append(this.spacer);
    parent.append(this.scroller);
    this.scroller.addEventListener('scroll', () => this.render());
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('dblclick', (e) => {
      const row = this.rowAt(e.target);
      if (row >= 0) handlers.open(row);
    });
  }

  setModel(model: RowsModel): void {
    this.model = model;
    this.spacer.style.height = `${model.visible.length * ROW_HEIGHT}px`;
    for (const p of this.pool) p.row = -1; // content may have changed: refill every pooled row
    this.render();
  }

  /** Moves the bars to a new time window: the zoom/pan frame. */
  setWindow(window: TimeWindow, laneWidth: number): void {
    this.window = window;
    this.laneWidth = laneWidth;
    this.placeBars();
  }

  /** Puts pooled rows on the rows in view (on scroll, resize and model changes). */
  render(): void {
    const model = this.model;
    if (!model) return;
    const range = virtualRange(this.scroller.scrollTop, this.scroller.clientHeight, ROW_HEIGHT, model.visible.length, 6);
    const needed = range.last - range.first;
    while (this.pool.length < needed) this.pool.push(this.makeRow());
    const wanted = new Set<number>();
    for (let pos = range.first; pos < range.last; pos++) wanted.add(model.visible[pos]!);
    // Keep rows already showing a wanted span; refill the rest.
    const free: PooledRow[] = [];
    const placed = new Set<number>();
    for (const p of this.pool) {
      if (p.row >= 0 && wanted.has(p.row) && !placed.has(p.row)) placed.add(p.row);
      else free.push(p);
    }
    let pos = range.first;
    for (const p of free) {
      while (pos < range.last && placed.has(model.visible[pos]!)) pos++;
      if (pos >= range.last) {
        p.row = -1;
        p.el.hidden = true;
        continue;
      }
      this.fill(p, model.visible[pos]!, pos);
      placed.add(p.row);
    }
    for (const p of this.pool) if (p.row >= 0) this.decorate(p, model);
    this.placeBars();
  }

  /** The pooled row element showing span `id`, if it is in the DOM. */
  elementFor(id: string): HTMLElement | undefined {
    return this.pool.find((p) => p.row >= 0 && p.el.dataset.spanId === id)?.el;
  }

  private placeBars(): void {
    const model = this.model;
    if (!model) return;
    const w = this.laneWidth;
    const scale = timeScale(this.window, 0, w);
    for (const p of this.pool) {
      if (p.row < 0) continue;
      const s = model.tree.spans[p.row]!;
      const g = barGeometry(scale, s.startMs, s.durationMs, 0, w, 2);
      p.bar.hidden = !g.visible;
      if (!g.visible) {
        for (const c of p.crit) c.hidden = true;
        continue;
      }
      p.bar.style.transform = `translateX(${g.left}px)`;
      p.bar.style.width = `${g.width}px`;
      if (s.ttftMs !== null) p.ttft.style.transform = `translateX(${scale.toX(s.startMs + s.ttftMs) - g.left}px)`;
      const segs = model.critical.get(s.id) ?? [];
      for (let i = 0; i < p.crit.length; i++) {
        const seg = segs[i];
        const c = p.crit[i]!;
        c.hidden = !seg;
        if (!seg) continue;
        const sg = barGeometry(scale, seg.startMs, seg.endMs - seg.startMs, 0, w, 1);
        c.style.transform = `translateX(${sg.left}px)`;
        c.style.width = `${sg.visible ? sg.width : 0}px`;
      }
    }
  }

  private makeRow(): PooledRow {
    const row = el('div', 'row');
    row.setAttribute('role', 'treeitem');
    const label = el('div', 'label');
    const fold = el('span', 'fold');
    fold.setAttribute('aria-hidden', 'true');
    const kind = el('span', 'kind');
    const name = el('span', 'name');
    const mark = el('span', 'mark');
    const summary = el('span', 'summary');
    label.append(fold, kind, name, mark, summary);
    const lane = el('div', 'lane');
    const bar = el('div', 'bar');
    const ttft = el('div', 'ttft');
    ttft.title = 'time to first token';
    bar.append(ttft);
    const crit = [el('div', 'crit'), el('div', 'crit'), el('div', 'crit')];
    lane.append(bar, ...crit);
    row.append(label, lane);
    this.spacer.append(row);
    return { el: row, label, fold, kind, name, mark, summary, lane, bar, ttft, crit, row: -1 };
  }

  /** Writes one span's text into a pooled row (only when the row changes span). */
  private fill(p: PooledRow, row: number, pos: number): void {
    const model = this.model!;
    const s = model.tree.spans[row]!;
    p.row = row;
    p.el.hidden = false;
    p.el.dataset.spanId = s.id;
    p.bar.dataset.spanId = s.id;
    this.rowOf.set(p.el, row);
    p.el.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
    p.el.className = `row kind-${s.kind}${s.error ? ' error' : ''}`;
    p.el.setAttribute('aria-level', String(model.tree.depth[row]! + 1));
    p.el.title = `${s.name} · ${s.service}\n${s.summary || formatDuration(s.durationMs)}`;
    p.name.textContent = s.name || '(unnamed)';
    p.summary.textContent = s.summary;
    p.mark.textContent = s.missingParent ? 'missing parent' : s.cycleCut ? 'cycle cut' : s.error ? 'error' : '';
    p.mark.className = `mark${s.missingParent || s.cycleCut ? ' orphan' : s.error ? ' failed' : ''}`;
    p.label.style.paddingLeft = `${Math.min(MAX_INDENT_PX, model.tree.depth[row]! * INDENT_PX) + 4}px`;
    p.ttft.hidden = s.ttftMs === null;
  }

  /** Selection, folding and the critical path: cheap, redone on every render. */
  private decorate(p: PooledRow, model: RowsModel): void {
    const s = model.tree.spans[p.row]!;
    const parentRow = hasChildren(model.tree, p.row);
    const folded = model.collapsed.has(s.id);
    p.fold.textContent = parentRow ? (folded ? '▸' : '▾') : '';
    if (parentRow) p.el.setAttribute('aria-expanded', String(!folded));
    else p.el.removeAttribute('aria-expanded');
    const selected = p.row === model.selected;
    p.el.classList.toggle('selected', selected);
    p.el.setAttribute('aria-selected', String(selected));
    if (selected) this.scroller.setAttribute('aria-activedescendant', (p.el.id = 'row-selected'));
    else if (p.el.id) p.el.removeAttribute('id');
    p.bar.classList.toggle('critical', model.critical.has(s.id));
  }

  private onClick(e: MouseEvent): void {
    const row = this.rowAt(e.target);
    if (row < 0) return;
    this.scroller.focus({ preventScroll: true });
    if (e.target instanceof Element && e.target.closest('.fold')) this.handlers.toggle(row);
    else this.handlers.select(row);
  }

  private rowAt(target: EventTarget | null): number {
    const rowEl = target instanceof Element ? target.closest('.row') : null;
    return rowEl ? (this.rowOf.get(rowEl) ?? -1) : -1;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}
