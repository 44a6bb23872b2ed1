/** Trace assembly survives what real exporters send. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../src/core/model.js';
import { buildTraceTree, flatten } from '../../src/core/traceTree.js';
import { makeTrace } from '../helpers/spans.js';

const T0 = 1_700_000_000_000_000_000n;
function span(id: string, parent: string, startMs: number, endMs: number, service = 'svc'): Span {
  const [base] = makeTrace(1);
  return {
    ...base!,
    traceId: 'a'.repeat(32),
    spanId: id.padStart(16, '0'),
    parentSpanId: parent ? parent.padStart(16, '0') : '',
    name: id,
    startTimeUnixNano: (T0 + BigInt(Math.round(startMs * 1e6))).toString(),
    endTimeUnixNano: (T0 + BigInt(Math.round(endMs * 1e6))).toString(),
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0, schemaUrl: '' },
  };
}
const names = (spans: { span: Span; depth: number }[]): string[] => spans.map((n) => `${'  '.repeat(n.depth)}${n.span.name}`);

describe('trace assembly', () => {
  it('builds the same tree whatever the arrival order, children sorted by start', () => {
    const spans = [span('1', '', 0, 100), span('2', '1', 10, 20), span('3', '1', 5, 8), span('4', '2', 11, 12)];
    const expected = ['1', '  3', '  2', '    4'];
    assert.deepEqual(names(flatten(buildTraceTree(spans))), expected);
    assert.deepEqual(names(flatten(buildTraceTree([...spans].reverse()))), expected);
  });

  it('shows an orphan under the trace with a missing-parent mark', () => {
    const tree = buildTraceTree([span('1', '', 0, 100), span('5', '9', 20, 30), span('6', '5', 21, 22)]);
    assert.deepEqual(names(flatten(tree)), ['1', '5', '  6']);
    assert.equal(tree.byId.get('5'.padStart(16, '0'))!.missingParent, true);
    assert.equal(tree.byId.get('1'.padStart(16, '0'))!.missingParent, false);
  });

  it('keeps the first of two spans with the same id and reports the other', () => {
    const a = span('1', '', 0, 100);
    const dup = { ...span('1', '', 50, 60), name: 'again' };
    const tree = buildTraceTree([a, span('2', '1', 1, 2), dup]);
    assert.deepEqual(names(flatten(tree)), ['1', '  2']);
    assert.deepEqual(tree.duplicates, [dup]);
  });

  it('cuts parent cycles instead of looping', () => {
    // 2 -> 3 -> 4 -> 2, and 5 hangs off the cycle; 1 is an ordinary root.
    const spans = [span('1', '', 0, 10), span('2', '4', 1, 9), span('3', '2', 2, 8), span('4', '3', 3, 7), span('5', '3', 4, 5), span('7', '7', 6, 7)];
    const tree = buildTraceTree(spans);
    const flat = flatten(tree);
    assert.equal(flat.length, 6, 'every span appears once');
    assert.deepEqual(names(flat), ['1', '2', '  3', '    4', '    5', '7']);
    assert.equal(tree.byId.get('2'.padStart(16, '0'))!.cycleCut, true);
    assert.equal(tree.byId.get('7'.padStart(16, '0'))!.cycleCut, true, 'a span that is its own parent');
  });

  it('draws a child of another service inside its parent when clocks are skewed, keeping raw times', () => {
    // The server's clock is 500 ms behind: its span "starts" before the client's call.
    const client = span('1', '', 0, 100, 'frontend');
    const server = span('2', '1', -480, -420, 'backend');
    const inner = span('3', '2', -470, -430, 'backend');
    const tree = buildTraceTree([client, server, inner]);
    const s = tree.byId.get('2'.padStart(16, '0'))!;
    const i = tree.byId.get('3'.padStart(16, '0'))!;
    const c = tree.byId.get('1'.padStart(16, '0'))!;
    assert.ok(s.startMs >= c.startMs && s.endMs <= c.endMs, `server drawn inside client: ${s.startMs}..${s.endMs} in ${c.startMs}..${c.endMs}`);
    assert.equal(s.endMs - s.startMs, 60);
    assert.equal(i.startMs - s.startMs, 10, 'descendants move with it');
    assert.equal(s.span.startTimeUnixNano, server.startTimeUnixNano, 'raw times kept');
    assert.ok(s.skewMs > 0);
  });

  it('leaves a same-service child that outlives its parent alone (async work, not skew)', () => {
    const tree = buildTraceTree([span('1', '', 0, 10), span('2', '1', 5, 50)]);
    assert.equal(tree.byId.get('2'.padStart(16, '0'))!.skewMs, 0);
    assert.equal(tree.durationMs, 50);
  });

  it('assembles a trace of 100,000 spans, and one 5,000 deep, without recursion limits', () => {
    const wide: Span[] = [span('1', '', 0, 1000)];
    for (let i = 2; i <= 100_000; i++) wide.push(span(String(i), String(1 + Math.floor((i - 2) / 10)), i / 1000, i / 1000 + 1));
    assert.equal(flatten(buildTraceTree(wide)).length, 100_000);
    const deep: Span[] = [span('1', '', 0, 10_000)];
    for (let i = 2; i <= 5000; i++) deep.push(span(String(i), String(i - 1), i, 10_000 - i));
    const flat = flatten(buildTraceTree(deep));
    assert.equal(flat.at(-1)!.depth, 4999);
  });
});
