/**
 * Assembles one trace's spans into a tree that survives what real exporters send: spans out of
 * order, children before parents, orphans (parent never arrived), duplicate span ids, parent
 * cycles (never followed twice), and clock skew between services (a child from another service
 * that falls outside its parent is shifted inside it for display; raw times are kept).
 */
import type { Span } from './model.js';
import { serviceOf } from './store/rows.js';

export interface TraceNode {
  span: Span;
  children: TraceNode[];
  depth: number;
  /** The parent id names a span this trace does not have (yet). */
  missingParent: boolean;
  /** The span's parent chain loops back to itself; the loop was cut here. */
  cycleCut: boolean;
  /** Display times, ms since the trace's first start, after skew adjustment. */
  startMs: number;
  endMs: number;
  /** How far display times were shifted from the raw times for clock skew, ms. */
  skewMs: number;
}

export interface TraceTree {
  roots: TraceNode[];
  byId: Map<string, TraceNode>;
  /** Spans dropped because another span of the trace already had their id. */
  duplicates: Span[];
  /** Raw start of the trace (earliest span), nanoseconds. */
  startNs: bigint;
  durationMs: number;
}

const byStart = (a: TraceNode, b: TraceNode): number => a.startMs - b.startMs || (a.span.spanId < b.span.spanId ? -1 : 1);

export function buildTraceTree(spans: Span[]): TraceTree {
  const byId = new Map<string, TraceNode>();
  const duplicates: Span[] = [];
  let startNs: bigint | undefined;
  for (const s of spans) {
    const st = BigInt(s.startTimeUnixNano);
    if (startNs === undefined || st < startNs) startNs = st;
  }
  const origin = startNs ?? 0n;
  const ms = (ns: string): number => Number(BigInt(ns) - origin) / 1e6;
  for (const s of spans) {
    if (byId.has(s.spanId)) {
      duplicates.push(s);
      continue;
    }
    const startMs = ms(s.startTimeUnixNano);
    byId.set(s.spanId, { span: s, children: [], depth: 0, missingParent: false, cycleCut: false, startMs, endMs: Math.max(startMs, ms(s.endTimeUnixNano)), skewMs: 0 });
  }

  const roots: TraceNode[] = [];
  for (const node of byId.values()) {
    const parentId = node.span.parentSpanId;
    if (!parentId) roots.push(node);
    else if (!byId.has(parentId)) {
      node.missingParent = true;
      roots.push(node);
    }
  }
  for (const node of byId.values()) {
    const parent = node.span.parentSpanId ? byId.get(node.span.parentSpanId) : undefined;
    if (parent && !node.missingParent) parent.children.push(node);
  }

  // Walk from the roots; whatever is not reached hangs off a cycle: cut it at its earliest span.
  const reached = new Set<TraceNode>();
  const walk = (root: TraceNode): void => {
    const stack: TraceNode[] = [root];
    reached.add(root);
    while (stack.length) {
      const node = stack.pop()!;
      node.children = node.children.filter((c) => !reached.has(c));
      for (const child of node.children) {
        reached.add(child);
        stack.push(child);
      }
    }
  };
  roots.forEach(walk);
  const rest = [...byId.values()].filter((n) => !reached.has(n)).sort(byStart);
  for (const node of rest) {
    if (reached.has(node)) continue;
    node.cycleCut = true;
    roots.push(node);
    walk(node);
  }

  // Depth first with an explicit stack: real traces can nest deeper than a call stack allows.
  let endMs = 0;
  roots.sort(byStart);
  const stack: { node: TraceNode; depth: number; parent: TraceNode | undefined; inherited: number }[] = roots
    .map((node) => ({ node, depth: 0, parent: undefined, inherited: 0 }))
    .reverse();
  while (stack.length) {
    const { node, depth, parent, inherited } = stack.pop()!;
    node.depth = depth;
    const shift = inherited + (parent ? skewShift(node, parent, inherited) : 0);
    node.skewMs = shift;
    node.startMs += shift;
    node.endMs += shift;
    endMs = Math.max(endMs, node.endMs);
    node.children.sort(byStart);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, depth: depth + 1, parent: node, inherited: shift });
  }
  return { roots, byId, duplicates, startNs: origin, durationMs: endMs };
}

/** Extra shift for a child of another service that lies outside its (already placed) parent. */
function skewShift(child: TraceNode, parent: TraceNode, inherited: number): number {
  if (serviceOf(child.span.resource) === serviceOf(parent.span.resource)) return 0;
  const start = child.startMs + inherited;
  const end = child.endMs + inherited;
  if (start >= parent.startMs && end <= parent.endMs) return 0;
  const childDur = end - start;
  const parentDur = parent.endMs - parent.startMs;
  if (childDur > parentDur) return 0;
  // Centre the child in its parent, splitting the network time evenly, as Jaeger does.
  return parent.startMs + (parentDur - childDur) / 2 - start;
}

/** Depth-first order of the tree, the order rows are drawn in. */
export function flatten(tree: TraceTree): TraceNode[] {
  const out: TraceNode[] = [];
  const stack = [...tree.roots].reverse();
  while (stack.length) {
    const node = stack.pop()!;
    out.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}
