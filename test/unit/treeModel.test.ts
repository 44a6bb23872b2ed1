/** The Runs & Traces tree's pure side: labels, escaped tooltips, hierarchies from timeline rows, filters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunSummary, TraceSummary } from '../../src/core/store/spanTables.js';
import {
  KIND_ICONS, NO_FILTER, buildHierarchy, emptyFilterMessage, escapeMarkdown, filterActive, filterDescription, filterHierarchy, filterMessage, oneLine, runDescription, runLabel,
  runTooltip, runsWithMatches, shownParent, spanDescription, spanTooltip, traceDescription, traceLabel, traceMatches, traceTooltip,
} from '../../src/core/views/treeModel.js';
import type { TimelineSpan } from '../../src/shared/traceView.js';

function span(id: string, parentId: string | null, extra: Partial<TimelineSpan> = {}): TimelineSpan {
  return {
    id, parentId, name: `span ${id}`, service: 'svc', kind: 'other', startMs: 0, durationMs: 1, skewMs: 0, error: false, ttftMs: null,
    summary: '1 ms', missingParent: false, cycleCut: false, ...extra,
  };
}

function trace(extra: Partial<TraceSummary> = {}): TraceSummary {
  return {
    traceId: 'a'.repeat(32), name: 'answer', service: 'svc', spanCount: 4, errorCount: 0, startTimeUnixNano: '1700000000000000000', durationMs: 1234,
    llmCalls: 2, inputTokens: 100, outputTokens: 43, costUsd: 0.0004, runId: 'run-1', pinned: false, ...extra,
  };
}

const run: RunSummary = {
  runId: 'run-1', service: 'checkout-api', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000005000000000', traceCount: 3, pinned: true, explicit: false,
};


function unescaped(text: string, raw: string): boolean {
  return new RegExp(`(?<!\\\\)${raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(text);
}

describe('tree labels and descriptions', () => {
  it('describes a trace by spans, duration, LLM calls, tokens, cost and errors', () => {
    assert.equal(traceDescription(trace()), '4 spans · 1.2 s · 2 LLM · 143 tok · $0.0004');
    assert.equal(traceDescription(trace({ spanCount: 1, llmCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: null, errorCount: 1 })), '1 span · 1.2 s · 1 error');
    assert.equal(traceDescription(trace({ pinned: true, llmCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: null })), 'pinned · 4 spans · 1.2 s');
    assert.equal(traceDescription(trace({ llmCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: null, truncatedSpans: 1234 })), '4 spans · 1.2 s · 1234 spans over the limit');
    assert.match(traceTooltip(trace({ truncatedSpans: 7 })), /Not stored: 7 more spans, past the limit of spans per trace/);
    assert.equal(traceLabel(trace({ name: '' })), 'a'.repeat(32), 'an unnamed trace shows its id');
  });

  it('describes a run by start time, trace count and pin', () => {
    assert.equal(runLabel(run), 'checkout-api');
    const now = new Date(Number(BigInt(run.startTimeUnixNano) / 1_000_000n));
    assert.match(runDescription(run, now), /^\d\d:\d\d:\d\d · 3 traces · pinned$/);
    assert.match(runDescription({ ...run, pinned: false, traceCount: 1 }, new Date(0)), /, \d\d:\d\d:\d\d · 1 trace$/, 'another day shows the date');
  });

  it('gives a span its summary and structural marks, and an icon for every kind', () => {
    assert.equal(spanDescription(span('1', null, { summary: 'gpt-4o-mini · 1.2 s · 43 tok · $0.0004' })), 'gpt-4o-mini · 1.2 s · 43 tok · $0.0004');
    assert.equal(spanDescription(span('1', null, { missingParent: true })), '1 ms · missing parent');
    assert.equal(spanDescription(span('1', null, { cycleCut: true })), '1 ms · parent cycle cut');
    assert.equal(KIND_ICONS.llm, 'sparkle');
    assert.ok(Object.values(KIND_ICONS).every((icon) => /^[a-z-]+$/.test(icon)));
  });

  it('flattens names to one bounded line', () => {
    assert.equal(oneLine('a\nb\r\n\tc'), 'a b c');
    assert.equal(oneLine('x'.repeat(500)).length, 200);
  });
});

describe('tree tooltips escape trace text', () => {
  const hostile = '[click](command:spanlens.clearAll) <img src=x onerror=alert(1)> ![i](http://x/y.png) `code` # heading\n- item';

  it('escapes every Markdown and HTML construct in trace text', () => {
    const md = escapeMarkdown(hostile);
    for (const raw of ['[click]', '](', '<img', '![i]', '`code`', '# heading', '- item']) assert.ok(!unescaped(md, raw), `${raw} unescaped in ${md}`);
    assert.ok(!md.includes('\n'));
    assert.equal(escapeMarkdown('gpt-4o'), 'gpt\\-4o');
  });

  it('keeps span, trace and run tooltips free of links and HTML from the trace', () => {
    const texts = [
      spanTooltip(span('1', null, { name: hostile, service: hostile, summary: hostile, error: true, missingParent: true })),
      traceTooltip(trace({ name: hostile, service: hostile, traceId: `${'b'.repeat(32)}](zz:q)` })),
      runTooltip({ ...run, service: hostile, runId: hostile, explicit: true }),
    ];
    for (const text of texts) {
      assert.ok(!text.includes('](command:'), text);
      // Each construct's first character is preceded by a backslash wherever it occurs.
      for (const raw of ['[click]', '](', '<img', '![i]', '`code`', '# heading']) assert.ok(!unescaped(text, raw), `${raw} unescaped in ${text}`);
      assert.ok(text.includes('\\[click\\]\\(command\\:'), 'the text is still there, escaped');
    }
    assert.match(texts[0]!, /Status: \*\*error\*\*/);
    assert.match(texts[0]!, /parent span is not in the trace/);
    assert.match(texts[1]!, /Trace id `b{32}`/, 'the id keeps its hex digits only');
  });
});

describe('span hierarchy from timeline rows', () => {
  // root ─ a ─ a1
  //      └ b
  // orphan (parent never arrived) ─ o1
  // cut (cycle cut)
  const rows = [
    span('root', null),
    span('a', 'root'),
    span('a1', 'a'),
    span('b', 'root', { kind: 'llm', error: true }),
    span('orphan', null, { missingParent: true }),
    span('o1', 'orphan', { kind: 'llm' }),
    span('cut', null, { cycleCut: true }),
  ];

  it('puts children under their parents in row order, orphans and cut cycles at the top', () => {
    const h = buildHierarchy({ spans: rows });
    assert.deepEqual(h.roots.map((s) => s.id), ['root', 'orphan', 'cut']);
    assert.deepEqual(h.children.get('root')?.map((s) => s.id), ['a', 'b']);
    assert.deepEqual(h.children.get('a')?.map((s) => s.id), ['a1']);
    assert.deepEqual(h.children.get('orphan')?.map((s) => s.id), ['o1']);
    assert.equal(shownParent(h, 'a1')?.id, 'a');
    assert.equal(shownParent(h, 'orphan'), null);
    assert.equal(shownParent(h, 'root'), null);
  });

  it('shows a span whose parent id is unknown or itself as a root', () => {
    const h = buildHierarchy({ spans: [span('x', 'nowhere'), span('self', 'self')] });
    assert.deepEqual(h.roots.map((s) => s.id), ['x', 'self']);
    assert.equal(shownParent(h, 'self'), null);
  });

  it('keeps matching spans and their ancestors under the errors and LLM filters', () => {
    const h = buildHierarchy({ spans: rows });
    assert.equal(filterHierarchy(h, NO_FILTER), h);
    const errors = filterHierarchy(h, { ...NO_FILTER, errorsOnly: true });
    assert.deepEqual(errors.roots.map((s) => s.id), ['root']);
    assert.deepEqual(errors.children.get('root')?.map((s) => s.id), ['b']);
    assert.equal(errors.children.has('a'), false);
    const llm = filterHierarchy(h, { ...NO_FILTER, llmOnly: true });
    assert.deepEqual(llm.roots.map((s) => s.id), ['root', 'orphan']);
    assert.deepEqual(llm.children.get('orphan')?.map((s) => s.id), ['o1']);
    assert.deepEqual([...llm.byId.keys()].sort(), ['b', 'o1', 'orphan', 'root']);
    const both = filterHierarchy(h, { ...NO_FILTER, llmOnly: true, errorsOnly: true });
    assert.deepEqual([...both.byId.keys()].sort(), ['b', 'root']);
    // A search keeps whole traces: it matched on content the rows do not carry.
    assert.equal(filterHierarchy(h, { ...NO_FILTER, search: { text: 'x', traceIds: new Set() } }), h);
  });
});

describe('trace filters', () => {
  const ok = trace({ traceId: '1', runId: 'r1', errorCount: 0, llmCalls: 0 });
  const failed = trace({ traceId: '2', runId: 'r2', errorCount: 2, llmCalls: 0 });
  const llm = trace({ traceId: '3', runId: 'r3', errorCount: 0, llmCalls: 1 });

  it('keeps traces with errors, with LLM calls, or found by a search', () => {
    assert.ok([ok, failed, llm].every((t) => traceMatches(t, NO_FILTER)));
    assert.deepEqual([ok, failed, llm].filter((t) => traceMatches(t, { ...NO_FILTER, errorsOnly: true })).map((t) => t.traceId), ['2']);
    assert.deepEqual([ok, failed, llm].filter((t) => traceMatches(t, { ...NO_FILTER, llmOnly: true })).map((t) => t.traceId), ['3']);
    const search = { ...NO_FILTER, search: { text: 'refund', traceIds: new Set(['1', '3']) } };
    assert.deepEqual([...runsWithMatches([ok, failed, llm], search)], ['r1', 'r3']);
    assert.deepEqual([...runsWithMatches([ok, failed, llm], { ...search, llmOnly: true })], ['r3']);
  });

  it('says which filters are active', () => {
    assert.equal(filterActive(NO_FILTER), false);
    assert.equal(filterDescription(NO_FILTER), '');
    const all = { errorsOnly: true, llmOnly: true, search: { text: 'refund\npolicy', traceIds: new Set<string>() } };
    assert.equal(filterActive(all), true);
    assert.equal(filterDescription(all), 'errors only · LLM calls only · “refund policy”');
    assert.equal(filterMessage({ ...NO_FILTER, errorsOnly: true }), 'Filtered: errors only');
    assert.match(emptyFilterMessage({ ...NO_FILTER, llmOnly: true }), /^No traces match \(LLM calls only\)\. Use "Clear Filter"/);
  });
});
