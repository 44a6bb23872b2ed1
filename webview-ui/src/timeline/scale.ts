/**
 * Time↔pixel math for the bars and the zoom, and the virtualization window for the rows. Plain
 * functions: the drawing code calls them on every zoom frame, the unit tests call them in Node.
 */

/** A visible time range, ms since the trace's start. */
export type TimeWindow = readonly [number, number];

/** The smallest window the zoom goes down to, ms (1 µs: below that bars are a pixel anyway). */
export const MIN_WINDOW_MS = 0.001;

export interface TimeScale {
  toX(ms: number): number;
  toMs(x: number): number;
  /** Pixels per ms. */
  readonly k: number;
}

/** Maps `window` onto `[x0, x1]` pixels. */
export function timeScale(window: TimeWindow, x0: number, x1: number): TimeScale {
  const span = Math.max(window[1] - window[0], MIN_WINDOW_MS);
  const k = (x1 - x0) / span;
  return { k, toX: (ms) => x0 + (ms - window[0]) * k, toMs: (x) => window[0] + (x - x0) / k };
}

/** Where a bar goes in pixels, clipped to the drawable range, with a minimum visible width. */
export function barGeometry(scale: TimeScale, startMs: number, durationMs: number, x0: number, x1: number, minWidth = 1): { left: number; width: number; visible: boolean } {
  const a = scale.toX(startMs);
  const b = scale.toX(startMs + durationMs);
  if (b < x0 - minWidth || a > x1) return { left: 0, width: 0, visible: false };
  // Clip far off-screen ends: huge pixel values slow the layout down when zoomed in deep.
  const left = Math.max(a, x0 - 2);
  const right = Math.min(Math.max(b, a + minWidth), x1 + 2);
  return { left, width: Math.max(minWidth, right - left), visible: true };
}

/** The whole trace as a window (a zero-length trace still gets a drawable window). */
export function fullWindow(durationMs: number): TimeWindow {
  return [0, Math.max(durationMs, MIN_WINDOW_MS)];
}

/** Keeps a window inside the trace and no narrower than MIN_WINDOW_MS (a saved window may not fit a new trace). */
export function clampWindow(window: TimeWindow, durationMs: number): TimeWindow {
  const full = fullWindow(durationMs);
  let width = Math.min(Math.max(window[1] - window[0], MIN_WINDOW_MS), full[1]);
  if (!Number.isFinite(width)) width = full[1];
  let start = Number.isFinite(window[0]) ? window[0] : 0;
  start = Math.min(Math.max(start, 0), full[1] - width);
  return [start, start + width];
}

/**
 * A d3-zoom transform as a window. The base scale maps the whole trace onto `[r0, r1]`; the
 * transform (x' = k·x + tx) zooms that, so the window is what `[r0, r1]` shows after it.
 */
export function windowFromTransform(t: { k: number; x: number }, r0: number, r1: number, durationMs: number): TimeWindow {
  const full = fullWindow(durationMs)[1];
  const toMs = (px: number): number => (((px - t.x) / t.k - r0) / (r1 - r0)) * full;
  return [toMs(r0), toMs(r1)];
}

/** The d3-zoom transform that shows `window` (the inverse of windowFromTransform). */
export function transformForWindow(window: TimeWindow, r0: number, r1: number, durationMs: number): { k: number; x: number } {
  const full = fullWindow(durationMs)[1];
  const k = full / Math.max(window[1] - window[0], MIN_WINDOW_MS);
  const base = (ms: number): number => r0 + (ms / full) * (r1 - r0);
  return { k, x: r0 - k * base(window[0]) };
}

/** Zooms by `factor` (>1 zooms in) around `anchorMs`, kept inside the trace. */
export function zoomWindow(window: TimeWindow, anchorMs: number, factor: number, durationMs: number): TimeWindow {
  const width = (window[1] - window[0]) / factor;
  const ratio = (anchorMs - window[0]) / (window[1] - window[0]);
  const start = anchorMs - ratio * width;
  return clampWindow([start, start + width], durationMs);
}

/** Moves the window by `deltaMs`, stopping at the trace's ends. */
export function panWindow(window: TimeWindow, deltaMs: number, durationMs: number): TimeWindow {
  return clampWindow([window[0] + deltaMs, window[1] + deltaMs], durationMs);
}

export interface VirtualRange {
  /** First row index drawn (inclusive). */
  first: number;
  /** One past the last row drawn. */
  last: number;
}

/** The rows to put in the DOM for a scroll position: those on screen plus `overscan` rows each side. */
export function virtualRange(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 8): VirtualRange {
  if (rowCount <= 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const top = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const bottom = Math.min(rowCount, Math.ceil((scrollTop + Math.max(0, viewportHeight)) / rowHeight) + overscan);
  return { first: Math.min(top, rowCount), last: Math.max(bottom, Math.min(top, rowCount)) };
}

/** The scrollTop that brings row `position` into view, or the current one when it already is. */
export function scrollToReveal(position: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = position * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return Math.max(0, top + rowHeight - viewportHeight);
  return scrollTop;
}
