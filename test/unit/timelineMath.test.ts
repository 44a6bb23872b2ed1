// The timeline's math without a DOM: rows, folding, filtering, scales, virtualization, critical path, minimap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceView } from '../../src/core/views/traceView.js';
import type { TimelineSpan } from '../../src/shared/traceView.js';
import { makeTrace } from '../helpers/spans.js';
import { criticalPath } from '../../webview-ui/src/timeline/criticalPath.js';
import { cellAlpha, densityGrid } from '../../webview-ui/src/timeline/density.js';
import { navigate, positionOf } from '../../webview-ui/src/timeline/navigation.js';
import {
  barGeometry, clampWindow, panWindow, scrollToReveal, timeScale, transformForWindow, virtualRange, windowFromTransform, zoomWindow,
} from '../../webview-ui/src/timeline/scale.js';
import { ancestors, buildTree, filterRows, keepKnown, revealRow, toggleRow, visibleRows } from '../../webview-ui/src/timeline/tree.js';

function span(id: string, parentId: string | null, startMs: number, durationMs: number, extra: Partial<TimelineSpan> = {}): TimelineSpan {
  return { id, parentId, name: `op ${id}`, service: 'svc', kind: 'other', startMs, durationMs, skewMs: 0, error: false, ttftMs: null, summary: '', missingParent: false, cycleCut: false, ...extra };
}

// root(0–100) ─ a(0–40) ─ a1(5–20), a2(20–40) ; b(50–100) ─ b1(55–95, error) ; orphan(10–20)
const sample = (): TimelineSpan[] => [
  span('root', null, 0, 100),
  span('a', 'root', 0, 40),
  span('a1', 'a', 5, 15),
  span('a2', 'a', 20, 20),
  span('b', 'root', 50, 50),
  span('b1', 'b', 55, 40, { error: true, name: 'fetch docs' }),
  span('orphan', null, 10, 10, { missingParent: true }),
];
const ids = (tree: ReturnType<typeof buildTree>, rows: Int32Array): string[] => [...rows].map((r) => tree.spans[r]!.id);

describe('timeline rows', () => {
  it('flattens depth-first with depth, parent and subtree end', () => {
    const tree = buildTree(sample());
    assert.deepEqual(tree.spans.map((s) => s.id), ['root', 'a', 'a1', 'a2', 'b', 'b1', 'orphan']);
    assert.deepEqual([...tree.depth], [0, 1, 2, 2, 1, 2, 0]);
    assert.deepEqual([...tree.parent], [-1, 0, 1, 1, 0, 4, -1]);
    assert.deepEqual([...tree.end], [6, 4, 3, 4, 6, 6, 7]);
    assert.deepEqual(ancestors(tree, 5), [0, 4]);
  });

  it('puts a parent before its child whatever the input order, and draws a loop as a root', () => {
    const tree = buildTree([span('c', 'p', 1, 1), span('p', null, 0, 5), span('x', 'y', 0, 1), span('y', 'x', 0, 1)]);
    assert.deepEqual(tree.spans.map((s) => s.id), ['p', 'c', 'x', 'y']);
    assert.deepEqual([...tree.depth], [0, 1, 0, 1]);
  });

  it('hides a folded span’s descendants and keeps its siblings', () => {
    const tree = buildTree(sample());
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(['a']))), ['root', 'a', 'b', 'b1', 'orphan']);
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(['root']))), ['root', 'orphan']);
    const folded = toggleRow(tree, new Set(), 1);
    assert.deepEqual([...folded], ['a']);
    assert.deepEqual([...toggleRow(tree, folded, 1)], []);
    assert.deepEqual([...toggleRow(tree, new Set(), 2)], [], 'a leaf does not fold');
    assert.deepEqual([...revealRow(tree, new Set(['root', 'b', 'a']), 5)], ['a']);
    assert.deepEqual([...keepKnown(tree, ['a', 'gone'])], ['a']);
  });

  it('filters by text or errors, keeping ancestors of matches', () => {
    const tree = buildTree(sample());
    assert.equal(filterRows(tree, { text: '  ' }), null);
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(), filterRows(tree, { errorsOnly: true }))), ['root', 'b', 'b1']);
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(), filterRows(tree, { text: 'FETCH' }))), ['root', 'b', 'b1']);
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(), filterRows(tree, { text: 'op a' }))), ['root', 'a', 'a1', 'a2']);
    assert.deepEqual(ids(tree, visibleRows(tree, new Set(), filterRows(tree, { text: 'nothing' }))), []);
  });

  it('handles 100,000 spans from the host’s own view builder quickly', () => {
    const view = traceView('t', makeTrace(100_000));
    const t0 = performance.now();
    const tree = buildTree(view.spans);
    const rows = visibleRows(tree, new Set());
    const folded = visibleRows(tree, new Set([view.spans[0]!.id]));
    const elapsed = performance.now() - t0;
    assert.equal(rows.length, 100_000);
    assert.equal(folded.length, 1);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    // A 100,000-deep chain must not overflow the stack.
    const chain = Array.from({ length: 100_000 }, (_, i) => span(`s${i}`, i === 0 ? null : `s${i - 1}`, i, 100_000 - i));
    const deep = buildTree(chain);
    assert.equal(deep.depth[99_999], 99_999);
    assert.equal(criticalPath(deep).spanIds.size, 100_000);
  });
});

describe('timeline scales', () => {
  it('maps time to x for a window and back', () => {
    const s = timeScale([10, 20], 100, 300);
    assert.equal(s.toX(10), 100);
    assert.equal(s.toX(20), 300);
    assert.equal(s.toMs(200), 15);
    assert.deepEqual(barGeometry(s, 12, 1, 100, 300), { left: 140, width: 20, visible: true });
    assert.equal(barGeometry(s, 30, 1, 100, 300).visible, false);
    assert.equal(barGeometry(s, 15, 0, 100, 300).width, 1, 'a zero-length span still shows');
    assert.ok(barGeometry(timeScale([0, 1e-3], 0, 100), 0, 1e6, 0, 100).width < 200, 'clipped when zoomed far in');
  });

  it('turns zoom transforms into windows and back', () => {
    const w = windowFromTransform({ k: 4, x: -300 }, 0, 400, 1000);
    assert.deepEqual(w, [187.5, 437.5]);
    const t = transformForWindow(w, 0, 400, 1000);
    assert.equal(t.k, 4);
    assert.equal(t.x, -300);
    const [a, b] = windowFromTransform(transformForWindow([20, 30], 250, 900, 100), 250, 900, 100);
    assert.ok(Math.abs(a - 20) < 1e-9 && Math.abs(b - 30) < 1e-9);
    assert.deepEqual(windowFromTransform({ k: 1, x: 0 }, 250, 900, 100), [0, 100]);
  });

  it('zooms around an anchor and pans, clamped to the trace', () => {
    assert.deepEqual(zoomWindow([0, 100], 50, 2, 100), [25, 75]);
    assert.deepEqual(zoomWindow([0, 100], 0, 4, 100), [0, 25]);
    assert.deepEqual(zoomWindow([25, 75], 50, 0.1, 100), [0, 100], 'zooming out stops at the whole trace');
    assert.deepEqual(panWindow([0, 25], 10, 100), [10, 35]);
    assert.deepEqual(panWindow([70, 95], 10, 100), [75, 100]);
    assert.deepEqual(clampWindow([-5, 2000], 100), [0, 100]);
    assert.deepEqual(clampWindow([Number.NaN, 3], 100), [0, 100], 'a broken saved window shows the whole trace');
  });

  it('virtualizes: only the rows on screen plus overscan', () => {
    assert.deepEqual(virtualRange(0, 100, 20, 1000, 2), { first: 0, last: 7 });
    assert.deepEqual(virtualRange(2000, 100, 20, 1000, 2), { first: 98, last: 107 });
    assert.deepEqual(virtualRange(19_990, 100, 20, 1000, 2), { first: 997, last: 1000 });
    assert.deepEqual(virtualRange(0, 100, 20, 0), { first: 0, last: 0 });
    assert.equal(scrollToReveal(50, 0, 100, 20), 920);
    assert.equal(scrollToReveal(2, 100, 100, 20), 40);
    assert.equal(scrollToReveal(6, 100, 100, 20), 100);
  });
});

describe('critical path', () => {
  it('follows the last-finishing children back from the root’s end', () => {
    const path = criticalPath(buildTree(sample()));
    assert.deepEqual([...path.spanIds].sort(), ['a', 'a1', 'a2', 'b', 'b1', 'root']);
    assert.deepEqual(path.segments, [
      { spanId: 'b', startMs: 95, endMs: 100 },
      { spanId: 'b1', startMs: 55, endMs: 95 },
      { spanId: 'b', startMs: 50, endMs: 55 },
      { spanId: 'root', startMs: 40, endMs: 50 },
      { spanId: 'a2', startMs: 20, endMs: 40 },
      { spanId: 'a1', startMs: 5, endMs: 20 },
      { spanId: 'a', startMs: 0, endMs: 5 },
    ]);
  });

  it('skips a child that overlaps a later one and clips children to their parent', () => {
    // c1 runs 0–60 but c2 (50–100) finished last; c1 ends after c2 started, so it is not on the path.
    const tree = buildTree([span('r', null, 0, 100), span('c1', 'r', 0, 60), span('c2', 'r', 50, 80)]);
    const path = criticalPath(tree);
    assert.deepEqual([...path.spanIds].sort(), ['c2', 'r']);
    assert.deepEqual(path.segments, [{ spanId: 'c2', startMs: 50, endMs: 100 }, { spanId: 'r', startMs: 0, endMs: 50 }]);
    assert.deepEqual(criticalPath(buildTree([])).segments, []);
  });
});

describe('minimap density and keyboard', () => {
  it('counts running spans per time column and row band', () => {
    const grid = densityGrid(sample(), 100, 10, 2);
    // Band 0 holds rows root, a, a1 (0–3.5 of 7 rows): column 0 (0–10 ms) runs root, a, a1.
    assert.equal(grid.cells[0], 3);
    assert.equal(grid.cells[9], 1, 'only root runs at 90–100 ms in band 0');
    assert.equal(grid.errors[10 + 6], 1, 'b1 fails in band 1 at 60–70 ms');
    assert.equal(grid.cells[2], 4, 'root, a, a1 (ends at 20) and a2 run at 20–30 ms');
    assert.equal(grid.max, 4);
    assert.equal(cellAlpha(0, 4), 0);
    assert.equal(cellAlpha(4, 4), 1);
  });

  it('moves, folds and unfolds like a tree', () => {
    const tree = buildTree(sample());
    const all = visibleRows(tree, new Set());
    assert.deepEqual(navigate(tree, all, new Set(), 0, 'ArrowDown'), { select: 1 });
    assert.deepEqual(navigate(tree, all, new Set(), 1, 'ArrowUp'), { select: 0 });
    assert.deepEqual(navigate(tree, all, new Set(), 1, 'ArrowLeft'), { toggle: 1 });
    assert.deepEqual(navigate(tree, all, new Set(), 2, 'ArrowLeft'), { select: 1 });
    assert.deepEqual(navigate(tree, all, new Set(), 1, 'ArrowRight'), { select: 2 });
    const folded = visibleRows(tree, new Set(['a']));
    assert.deepEqual(navigate(tree, folded, new Set(['a']), 1, 'ArrowRight'), { toggle: 1 });
    assert.deepEqual(navigate(tree, folded, new Set(['a']), 1, 'ArrowLeft'), { select: 0 });
    assert.deepEqual(navigate(tree, all, new Set(), 6, 'ArrowDown'), { select: 6 }, 'stays on the last row');
    assert.deepEqual(navigate(tree, all, new Set(), -1, 'ArrowDown'), { select: 0 });
    assert.equal(positionOf(folded, 4), 2);
    assert.equal(positionOf(folded, 2), -1);
  });
});
