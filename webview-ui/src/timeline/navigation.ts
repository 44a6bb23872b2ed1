/**
 * Keyboard moves over the shown rows, as a tree view does them: up/down move, left folds or goes
 * to the parent, right unfolds or goes to the first child. Returns what to do; the view does it.
 */
import { hasChildren, type TreeIndex } from './tree.js';

export type NavKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End' | 'PageUp' | 'PageDown';

export interface NavResult {
  /** Row (tree index) to select, when the selection moves. */
  select?: number;
  /** Row to fold or unfold. */
  toggle?: number;
}

export function isNavKey(key: string): key is NavKey {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(key);
}

/**
 * `visible` holds the shown rows' tree indices in order; `selected` is a tree index or -1.
 * `page` is how many rows a PageUp/PageDown moves.
 */
export function navigate(tree: TreeIndex, visible: Int32Array, collapsed: ReadonlySet<string>, selected: number, key: NavKey, page = 20): NavResult {
  if (visible.length === 0) return {};
  const pos = selected < 0 ? -1 : positionOf(visible, selected);
  const at = (p: number): number => visible[Math.min(visible.length - 1, Math.max(0, p))]!;
  if (pos < 0) return { select: key === 'End' || key === 'ArrowUp' ? at(visible.length - 1) : at(0) };
  switch (key) {
    case 'ArrowUp':
      return { select: at(pos - 1) };
    case 'ArrowDown':
      return { select: at(pos + 1) };
    case 'PageUp':
      return { select: at(pos - page) };
    case 'PageDown':
      return { select: at(pos + page) };
    case 'Home':
      return { select: at(0) };
    case 'End':
      return { select: at(visible.length - 1) };
    case 'ArrowLeft': {
      const folded = collapsed.has(tree.spans[selected]!.id);
      if (hasChildren(tree, selected) && !folded) return { toggle: selected };
      const parent = tree.parent[selected]!;
      return parent >= 0 && positionOf(visible, parent) >= 0 ? { select: parent } : {};
    }
    case 'ArrowRight': {
      if (!hasChildren(tree, selected)) return {};
      if (collapsed.has(tree.spans[selected]!.id)) return { toggle: selected };
      const next = visible[pos + 1];
      // The first child, unless a filter hid every child.
      return next !== undefined && tree.parent[next] === selected ? { select: next } : {};
    }
  }
}

/** Position of tree index `row` in the shown rows, -1 when hidden. `visible` is increasing: binary search. */
export function positionOf(visible: Int32Array, row: number): number {
  let lo = 0;
  let hi = visible.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = visible[mid]!;
    if (v === row) return mid;
    if (v < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
