/** What the trace views are sent: timeline rows of a whole trace and one span's detail. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../src/core/model.js';
import { parseFrame, spanDetail, traceBundle, traceView } from '../../src/core/views/traceView.js';
import { loadFixture } from '../helpers/fixtures.js';
import { makeTrace } from '../helpers/spans.js';

describe('trace view', () => {
  it('gives rows depth-first with parents, kinds and call summaries', () => {
    const f = loadFixture('openllmetry', 'tools');
    const traceId = f.spans[0]!.traceId;
    const view = traceView(traceId, f.spans.filter((s) => s.traceId === traceId));
    assert.equal(view.traceId, traceId);
    assert.ok(view.spans.length > 0);
    const llm = view.spans.find((s) => s.kind === 'llm')!;
    assert.match(llm.summary, /^gpt-4o-mini(-[\d-]+)? · \d+ ms · \d+ tok · \$\d/);
    for (const row of view.spans) if (row.parentId) assert.ok(view.spans.findIndex((r) => r.id === row.parentId) < view.spans.indexOf(row), 'a parent comes before its children');
  });

  it('carries the OTLP dropped counts into the detail, only when something was dropped', () => {
    const [span] = makeTrace(1);
    assert.equal(spanDetail(span!, []).dropped, undefined);
    const cut = spanDetail({ ...span!, droppedAttributesCount: 3, droppedEventsCount: 0, droppedLinksCount: 2 }, []);
    assert.deepEqual(cut.dropped, { attributes: 3, events: 0, links: 2 });
  });

  it('marks orphans, leaves out duplicates and places rows on the trace clock', () => {
    const spans = makeTrace(4);
    const orphan: Span = { ...spans[3]!, spanId: 'f'.repeat(16), parentSpanId: 'e'.repeat(16) };
    const view = traceView(spans[0]!.traceId, [...spans, orphan, { ...spans[2]! }]);
    assert.equal(view.duplicates, 1);
    assert.equal(view.spans.length, 5);
    const o = view.spans.find((s) => s.id === orphan.spanId)!;
    assert.equal(o.missingParent, true);
    assert.equal(o.parentId, null);
    assert.equal(view.spans[0]!.startMs, 0);
    assert.equal(view.spans[1]!.parentId, spans[0]!.spanId);
    assert.equal(view.spans[1]!.startMs, 1);
    assert.equal(view.name, 'root');
  });

  it('gives a span detail with its LLM call, attributes sorted and values as text', () => {
    const f = loadFixture('openllmetry', 'tools');
    const span = f.spans.find((s) => s.name.startsWith('chat'))!;
    const d = spanDetail(span, []);
    assert.equal(d.spanId, span.spanId);
    assert.equal(d.kind, 'llm');
    assert.ok(d.llm && d.llm.input.length > 0);
    const keys = d.attributes.map((a) => a.key);
    assert.deepEqual(keys, [...keys].sort());
    for (const a of d.attributes) assert.equal(typeof a.value, 'string');
  });

  it('parses exception stack frames in the Node and Python formats', () => {
    assert.deepEqual(parseFrame('    at answer (/app/src/agent.ts:42:7)'), { text: '    at answer (/app/src/agent.ts:42:7)', path: '/app/src/agent.ts', line: 42, column: 7 });
    assert.deepEqual(parseFrame('    at file:///app/main.mjs:3:1'), { text: '    at file:///app/main.mjs:3:1', path: '/app/main.mjs', line: 3, column: 1 });
    assert.deepEqual(parseFrame('  File "/app/agent.py", line 12, in answer'), { text: '  File "/app/agent.py", line 12, in answer', path: '/app/agent.py', line: 12, column: null });
    assert.deepEqual(parseFrame('Error: boom'), { text: 'Error: boom', path: null, line: null, column: null });
    const [base] = makeTrace(1);
    const d = spanDetail(
      {
        ...base!,
        status: { code: 'error', message: 'boom' },
        events: [{ name: 'exception', timeUnixNano: base!.startTimeUnixNano, droppedAttributesCount: 0, attributes: { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.stacktrace': 'Error: boom\n    at run (/w/a.js:1:2)' } }],
      },
      [],
    );
    assert.equal(d.exceptions.length, 1);
    assert.equal(d.exceptions[0]!.frames[1]!.path, '/w/a.js');
  });

  it('bundles every span detail of a trace for the exported page', () => {
    const spans = makeTrace(20);
    const b = traceBundle(spans[0]!.traceId, spans, []);
    assert.equal(b.view.spans.length, 20);
    assert.deepEqual(Object.keys(b.details).sort(), spans.map((s) => s.spanId).sort());
  });
});
