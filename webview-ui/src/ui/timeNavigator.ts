/**
 * How the user moves through time: d3-zoom on the timeline pane (x only: wheel over the time
 * axis, or Ctrl/Cmd+wheel anywhere, zooms; dragging the bars pans), the time axis drawn with
 * d3-axis, and an overview minimap of the whole trace (canvas density + d3-brush) whose brush
 * shows and sets the window. The window itself is plain data (timeline/scale.ts).
 */
import { axisTop } from 'd3-axis';
import { brushX, type BrushBehavior, type D3BrushEvent } from 'd3-brush';
import { scaleLinear } from 'd3-scale';
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import { formatDuration } from '../../../src/shared/format.js';
import type { TimelineSpan } from '../../../src/shared/traceView.js';
import { cellAlpha, densityGrid } from '../timeline/density.js';
import { clampWindow, fullWindow, MIN_WINDOW_MS, transformForWindow, windowFromTransform, type TimeWindow } from '../timeline/scale.js';

const AXIS_HEIGHT = 24;
const MINIMAP_HEIGHT = 40;

export interface NavigatorParts {
  /** The element d3-zoom listens on (axis and rows). */
  pane: HTMLElement;
  axisHost: HTMLElement;
  minimapHost: HTMLElement;
}

export class TimeNavigator {
  private readonly zoomer: ZoomBehavior<HTMLElement, unknown>;
  private readonly paneSel: Selection<HTMLElement, unknown, null, undefined>;
  private readonly axisSvg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axisG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly canvas: HTMLCanvasElement;
  private readonly brushSvg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly brushG: Selection<SVGGElement, unknown, null, undefined>;
  private readonly brusher: BrushBehavior<unknown>;
  private durationMs = 1;
  private r0 = 0;
  private r1 = 1;
  private window: TimeWindow = [0, 1];
  private spans: readonly TimelineSpan[] = [];
  /** Set while we move the zoom or the brush ourselves, so their events do not echo back. */
  private syncing = false;

  constructor(private readonly parts: NavigatorParts, private readonly onWindow: (window: TimeWindow) => void) {
    this.paneSel = select(parts.pane);
    this.axisSvg = select(parts.axisHost).append('svg').attr('class', 'axis').attr('height', AXIS_HEIGHT);
    this.axisG = this.axisSvg.append('g').attr('transform', `translate(0,${AXIS_HEIGHT - 1})`);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'minimap-canvas';
    parts.minimapHost.append(this.canvas);
    this.brushSvg = select(parts.minimapHost).append('svg').attr('class', 'minimap-brush').attr('height', MINIMAP_HEIGHT);
    this.brushG = this.brushSvg.append('g').attr('class', 'brush');
    this.brusher = brushX<unknown>().on('brush end', (e: D3BrushEvent<unknown>) => this.onBrush(e));
    // Set up now: the trace can arrive before the first layout gives the brush its real extent.
    this.brushG.call(this.brusher);
    this.zoomer = zoom<HTMLElement, unknown>()
      .filter((e: Event) => this.wants(e))
      .constrain((t) => this.constrain(t))
      .on('zoom', (e: D3ZoomEvent<HTMLElement, unknown>) => this.onZoom(e));
    this.paneSel.call(this.zoomer).on('dblclick.zoom', null);
  }

  /** A new or updated trace: its spans in display order (for the minimap) and its length. */
  setTrace(spans: readonly TimelineSpan[], durationMs: number): void {
    this.spans = spans;
    this.durationMs = fullWindow(durationMs)[1];
    this.zoomer.scaleExtent([1, Math.max(1, this.durationMs / MIN_WINDOW_MS)]);
    this.drawMinimap();
  }

  /** The lane's pixel range inside the pane (after a resize). */
  setGeometry(r0: number, r1: number): void {
    this.r0 = r0;
    this.r1 = Math.max(r0 + 1, r1);
    const width = this.r1 - this.r0;
    this.zoomer.extent([[this.r0, 0], [this.r1, 1]]).translateExtent([[this.r0, -Infinity], [this.r1, Infinity]]);
    this.axisSvg.attr('width', width);
    this.brushSvg.attr('width', width);
    this.brusher.extent([[0, 0], [width, MINIMAP_HEIGHT]]);
    this.brushG.call(this.brusher);
    this.drawMinimap();
    this.setWindow(this.window);
  }

  get current(): TimeWindow {
    return this.window;
  }

  get laneWidth(): number {
    return this.r1 - this.r0;
  }

  /** Shows `window` (restored state, the brush, a reset) without echoing through the zoom handler. */
  setWindow(window: TimeWindow): void {
    const w = clampWindow(window, this.durationMs);
    const t = transformForWindow(w, this.r0, this.r1, this.durationMs);
    this.syncing = true;
    try {
      this.zoomer.transform(this.paneSel, zoomIdentity.translate(t.x, 0).scale(t.k));
    } finally {
      this.syncing = false;
    }
    this.apply(w, true);
  }

  private onZoom(e: D3ZoomEvent<HTMLElement, unknown>): void {
    if (this.syncing) return;
    this.apply(clampWindow(windowFromTransform(e.transform, this.r0, this.r1, this.durationMs), this.durationMs), true);
  }

  private onBrush(e: D3BrushEvent<unknown>): void {
    if (this.syncing || !e.sourceEvent) return;
    const sel = e.selection as [number, number] | null;
    const width = this.laneWidth;
    const w: TimeWindow = sel && sel[1] - sel[0] > 1 ? [(sel[0] / width) * this.durationMs, (sel[1] / width) * this.durationMs] : fullWindow(this.durationMs);
    const t = transformForWindow(clampWindow(w, this.durationMs), this.r0, this.r1, this.durationMs);
    this.syncing = true;
    try {
      this.zoomer.transform(this.paneSel, zoomIdentity.translate(t.x, 0).scale(t.k));
    } finally {
      this.syncing = false;
    }
    // While dragging the brush, leave it where the hand is; when it was cleared, show the whole trace.
    this.apply(clampWindow(w, this.durationMs), e.type === 'end');
  }

  private apply(window: TimeWindow, moveBrush: boolean): void {
    this.window = window;
    const width = this.laneWidth;
    const x = scaleLinear().domain([window[0], window[1]]).range([0, width]);
    this.axisG.call(axisTop<number>(x).ticks(Math.max(2, Math.floor(width / 90))).tickSizeOuter(0).tickFormat((v) => (Number(v) === 0 ? '0' : formatDuration(Number(v)))));
    if (moveBrush) {
      this.syncing = true;
      try {
        const full = window[0] <= 0 && window[1] >= this.durationMs;
        this.brushG.call(this.brusher.move, full ? null : [(window[0] / this.durationMs) * width, (window[1] / this.durationMs) * width]);
      } finally {
        this.syncing = false;
      }
    }
    this.onWindow(window);
  }

  /** Which pointer events d3-zoom takes: see the file comment. A plain wheel over the rows scrolls them. */
  private wants(e: Event): boolean {
    const target = e.target instanceof Element ? e.target : null;
    if (e.type === 'wheel') {
      const w = e as WheelEvent;
      return w.ctrlKey || w.metaKey || (target !== null && this.parts.axisHost.contains(target));
    }
    if (e.type === 'mousedown') return (e as MouseEvent).button === 0 && target !== null && target.closest('.lane') !== null;
    return false;
  }

  /** x only, and never past the trace's ends. */
  private constrain(t: ZoomTransform): ZoomTransform {
    const k = Math.max(1, t.k);
    const x = Math.min(this.r0 * (1 - k), Math.max(this.r1 * (1 - k), t.x));
    return zoomIdentity.translate(x, 0).scale(k);
  }

  private drawMinimap(): void {
    const width = Math.max(1, Math.floor(this.laneWidth));
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.floor(width * ratio);
    this.canvas.height = Math.floor(MINIMAP_HEIGHT * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${MINIMAP_HEIGHT}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, MINIMAP_HEIGHT);
    const lines = Math.min(MINIMAP_HEIGHT / 2, Math.max(1, this.spans.length));
    const grid = densityGrid(this.spans, this.durationMs, width, lines);
    const style = getComputedStyle(this.parts.minimapHost);
    const barColor = style.getPropertyValue('--minimap-bar').trim() || '#3794ff';
    const errColor = style.getPropertyValue('--minimap-error').trim() || '#f14c4c';
    const lineH = MINIMAP_HEIGHT / lines;
    for (let l = 0; l < lines; l++) {
      for (let c = 0; c < width; c++) {
        const i = l * width + c;
        const a = cellAlpha(grid.cells[i]!, grid.max);
        if (a === 0) continue;
        ctx.globalAlpha = a;
        ctx.fillStyle = grid.errors[i]! > 0 ? errColor : barColor;
        ctx.fillRect(c, l * lineH, 1, Math.max(1, lineH - 0.5));
      }
    }
    ctx.globalAlpha = 1;
  }
}
