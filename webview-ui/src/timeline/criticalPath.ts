/**
 * The critical path, Jaeger's way: from the root, walk back from its end through the child that
 * finished last, then the child that finished last before that one started, and so on, down into
 * each such child. The spans (and the time sections of them) that walk passes through are what
 * the trace's end waited for. Children are first clipped to their parent (clock skew, async
 * children that outlive the parent) as Jaeger's `sanitizeOverFlowingChildren` does.
 */
import type { TreeIndex } from './tree.js';

export interface CriticalSegment {
  spanId: string;
  startMs: number;
  endMs: number;
}

export interface CriticalPath {
  spanIds: Set<string>;
  /** Sections of spans on the path, latest first (the order of the walk). */
  segments: CriticalSegment[];
}

/** The root the path starts from: the first real root (not an orphan or a cut loop), else the first row. */
export function criticalRoot(tree: TreeIndex): number {
  for (let i = 0; i < tree.spans.length; i = tree.end[i]!) {
    const s = tree.spans[i]!;
    if (!s.missingParent && !s.cycleCut) return i;
  }
  return tree.spans.length > 0 ? 0 : -1;
}

export function criticalPath(tree: TreeIndex, root = criticalRoot(tree)): CriticalPath {
  const spanIds = new Set<string>();
  const segments: CriticalSegment[] = [];
  if (root < 0 || root >= tree.spans.length) return { spanIds, segments };

  // Effective (clipped) times for the root's subtree; a child wholly outside its parent is dropped (NaN).
  const endRow = tree.end[root]!;
  const count = endRow - root;
  const start = new Float64Array(count);
  const end = new Float64Array(count);
  for (let i = root; i < endRow; i++) {
    const s = tree.spans[i]!;
    let a = s.startMs;
    let b = s.startMs + Math.max(0, s.durationMs);
    const p = tree.parent[i]!;
    if (i !== root && p >= root) {
      const pa = start[p - root]!;
      const pb = end[p - root]!;
      if (Number.isNaN(pa) || b < pa || a > pb) a = b = NaN;
      else {
        a = Math.max(a, pa);
        b = Math.min(b, pb);
      }
    }
    start[i - root] = a;
    end[i - root] = b;
  }

  // Each span's children by end time, latest first; a cursor per span only moves forward because
  // the time we look back from only decreases.
  const kids = new Map<number, number[]>();
  const childrenOf = (row: number): number[] => {
    let list = kids.get(row);
    if (!list) {
      list = [];
      for (let c = row + 1; c < tree.end[row]!; c = tree.end[c]!) if (!Number.isNaN(start[c - root]!)) list.push(c);
      list.sort((x, y) => end[y - root]! - end[x - root]! || start[y - root]! - start[x - root]!);
      kids.set(row, list);
    }
    return list;
  };
  const cursor = new Map<number, number>();
  const add = (row: number, a: number, b: number): void => {
    const id = tree.spans[row]!.id;
    spanIds.add(id);
    if (b > a) segments.push({ spanId: id, startMs: a, endMs: b });
  };

  // Frames: a span and the time we look back from within it.
  const stack: Array<{ row: number; t: number }> = [];
  let frame: { row: number; t: number } | undefined = { row: root, t: end[0]! };
  while (frame) {
    const list = childrenOf(frame.row);
    let at: number = cursor.get(frame.row) ?? 0;
    // The last-finishing child that ended by `t` and started before it (a zero-length child at t is skipped).
    while (at < list.length && !(end[list[at]! - root]! <= frame.t && start[list[at]! - root]! < frame.t)) at++;
    cursor.set(frame.row, at + 1);
    const child: number | undefined = list[at];
    if (child !== undefined) {
      add(frame.row, end[child - root]!, frame.t);
      frame.t = start[child - root]!;
      stack.push(frame);
      frame = { row: child, t: end[child - root]! };
    } else {
      add(frame.row, start[frame.row - root]!, frame.t);
      frame = stack.pop();
    }
  }
  return { spanIds, segments };
}
