/**
 * The timeline's rows as plain data: a trace's spans indexed depth-first with their depth,
 * parent and subtree extent, then folded and filtered into the list of rows shown. No DOM here:
 * these run in unit tests under Node (like Jaeger UI's `generateRowStates`).
 */
import type { TimelineSpan } from '../../../src/shared/traceView.js';

/** Spans in depth-first order with typed arrays beside them, so 100,000 rows stay cheap. */
export interface TreeIndex {
  spans: readonly TimelineSpan[];
  depth: Int32Array;
  /** Row index of the parent, -1 for a root. */
  parent: Int32Array;
  /** One past the last descendant: a row's subtree is `[i, end[i])`. */
  end: Int32Array;
  indexById: ReadonlyMap<string, number>;
}

/**
 * Orders spans depth-first by `parentId` (children keep their given order) and measures depth.
 * The host already sends depth-first rows; re-deriving the order keeps the math right for any
 * input (a parent listed after its child, a loop the host did not cut: drawn as roots).
 */
export function buildTree(input: readonly TimelineSpan[]): TreeIndex {
  const n = input.length;
  const given = new Map<string, number>();
  for (let i = 0; i < n; i++) if (!given.has(input[i]!.id)) given.set(input[i]!.id, i);
  const children: number[][] = new Array<number[]>(n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const pid = input[i]!.parentId;
    const p = pid === null ? undefined : given.get(pid);
    if (p === undefined || p === i || given.get(input[i]!.id) !== i) roots.push(i);
    else (children[p] ??= []).push(i);
  }
  const spans: TimelineSpan[] = [];
  const depth = new Int32Array(n);
  const parent = new Int32Array(n);
  const end = new Int32Array(n);
  const seen = new Uint8Array(n);
  const visit = (start: number): void => {
    // Explicit stack: a 100,000-deep chain must not overflow the call stack.
    const stack: Array<[given: number, parentRow: number, d: number]> = [[start, -1, 0]];
    const open: number[] = [];
    while (stack.length > 0) {
      const [g, parentRow, d] = stack.pop()!;
      if (seen[g]) continue;
      seen[g] = 1;
      while (open.length > 0 && depth[open[open.length - 1]!]! >= d) end[open.pop()!] = spans.length;
      const row = spans.length;
      spans.push(input[g]!);
      depth[row] = d;
      parent[row] = parentRow;
      open.push(row);
      const kids = children[g];
      if (kids) for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, row, d + 1]);
    }
    while (open.length > 0) end[open.pop()!] = spans.length;
  };
  for (const r of roots) visit(r);
  // Whatever is left sits on a parent loop that never reaches a root.
  for (let i = 0; i < n; i++) if (!seen[i]) visit(i);
  const indexById = new Map<string, number>();
  for (let i = 0; i < spans.length; i++) if (!indexById.has(spans[i]!.id)) indexById.set(spans[i]!.id, i);
  return { spans, depth, parent, end, indexById };
}

export function hasChildren(tree: TreeIndex, row: number): boolean {
  return tree.end[row]! > row + 1;
}

export interface RowFilter {
  /** Case-insensitive text looked for in the name, service, kind, summary and id. */
  text?: string;
  errorsOnly?: boolean;
}

/** Rows the filter keeps: the matches plus their ancestors (so a match keeps its context); null when no filter is set. */
export function filterRows(tree: TreeIndex, filter: RowFilter): Uint8Array | null {
  const text = (filter.text ?? '').trim().toLowerCase();
  if (!text && !filter.errorsOnly) return null;
  const n = tree.spans.length;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = tree.spans[i]!;
    if (filter.errorsOnly && !s.error) continue;
    if (text && !`${s.name}\n${s.service}\n${s.kind}\n${s.summary}\n${s.id}`.toLowerCase().includes(text)) continue;
    keep[i] = 2; // a match (ancestors get 1)
    for (let p = tree.parent[i]!; p >= 0 && keep[p] === 0; p = tree.parent[p]!) keep[p] = 1;
  }
  return keep;
}

/** The rows shown, in order: rows under a folded span are hidden, and so are rows the filter drops. */
export function visibleRows(tree: TreeIndex, collapsed: ReadonlySet<string>, keep: Uint8Array | null = null): Int32Array {
  const n = tree.spans.length;
  const out = new Int32Array(n);
  let count = 0;
  let i = 0;
  while (i < n) {
    if (keep !== null && keep[i] === 0) {
      i++;
      continue;
    }
    out[count++] = i;
    i = collapsed.has(tree.spans[i]!.id) ? tree.end[i]! : i + 1;
  }
  return out.slice(0, count);
}

/** Row indices from the root down to `row`'s parent. */
export function ancestors(tree: TreeIndex, row: number): number[] {
  const out: number[] = [];
  for (let p = tree.parent[row]!; p >= 0; p = tree.parent[p]!) out.push(p);
  return out.reverse();
}

/** The folded set with `row`'s ancestors unfolded, so that `row` is shown (the host asked to select it). */
export function revealRow(tree: TreeIndex, collapsed: ReadonlySet<string>, row: number): Set<string> {
  const next = new Set(collapsed);
  for (const a of ancestors(tree, row)) next.delete(tree.spans[a]!.id);
  return next;
}

/** The folded set with `row` toggled; a leaf has nothing to fold. */
export function toggleRow(tree: TreeIndex, collapsed: ReadonlySet<string>, row: number): Set<string> {
  const next = new Set(collapsed);
  const id = tree.spans[row]!.id;
  if (next.has(id)) next.delete(id);
  else if (hasChildren(tree, row)) next.add(id);
  return next;
}

/** Folded ids that still name a span of the trace (after `traceUpdated`, or from a saved state). */
export function keepKnown(tree: TreeIndex, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const id of ids) if (tree.indexById.has(id)) out.add(id);
  return out;
}
