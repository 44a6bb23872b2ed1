/**
 * The overview minimap's picture: how many spans are running in each cell of a grid whose columns
 * are time and whose lines are bands of rows. Computed with one difference array per band, so a
 * 100,000-span trace costs O(spans + cells) however long its spans are.
 */
import type { TimelineSpan } from '../../../src/shared/traceView.js';
import { fullWindow } from './scale.js';

export interface DensityGrid {
  cols: number;
  lines: number;
  /** Running spans per cell, line-major (`cells[line * cols + col]`). */
  cells: Float32Array;
  /** Failed spans per cell, same layout. */
  errors: Float32Array;
  /** The largest value in `cells`, for normalizing. */
  max: number;
}

/** `rows` are the spans in display order (a row's band is its position scaled onto `lines`). */
export function densityGrid(rows: readonly TimelineSpan[], durationMs: number, cols: number, lines: number): DensityGrid {
  cols = Math.max(1, Math.floor(cols));
  lines = Math.max(1, Math.floor(lines));
  const width = cols + 1;
  const diff = new Float32Array(lines * width);
  const errDiff = new Float32Array(lines * width);
  const full = fullWindow(durationMs)[1];
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const s = rows[i]!;
    const line = Math.min(lines - 1, Math.floor((i / n) * lines));
    const c0 = clampCol(Math.floor((s.startMs / full) * cols), cols);
    const c1 = clampCol(Math.floor(((s.startMs + Math.max(0, s.durationMs)) / full) * cols), cols);
    const base = line * width;
    diff[base + c0]! += 1;
    diff[base + c1 + 1]! -= 1;
    if (s.error) {
      errDiff[base + c0]! += 1;
      errDiff[base + c1 + 1]! -= 1;
    }
  }
  const cells = new Float32Array(lines * cols);
  const errors = new Float32Array(lines * cols);
  let max = 0;
  for (let l = 0; l < lines; l++) {
    let run = 0;
    let errRun = 0;
    for (let c = 0; c < cols; c++) {
      run += diff[l * width + c]!;
      errRun += errDiff[l * width + c]!;
      cells[l * cols + c] = run;
      errors[l * cols + c] = errRun;
      if (run > max) max = run;
    }
  }
  return { cols, lines, cells, errors, max };
}

function clampCol(c: number, cols: number): number {
  return Number.isFinite(c) ? Math.min(cols - 1, Math.max(0, c)) : 0;
}

/** 0..1 opacity for a cell: logarithmic, so one span in a busy trace still shows. */
export function cellAlpha(value: number, max: number): number {
  if (value <= 0 || max <= 0) return 0;
  return Math.min(1, 0.25 + (0.75 * Math.log1p(value)) / Math.log1p(max));
}
