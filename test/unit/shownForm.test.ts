/**
 * Large traces kept as `spanlens show` prints them (store/shownForms.ts, views/cliViews.ts): the
 * form is the same text as printing from the bodies, and a form that no longer matches its trace
 * (a late span or log, a deletion, a new version) is never used.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { LogRecord, Span } from '../../src/core/model.js';
import { WorkspaceIndex } from '../../src/core/source/workspaceIndex.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { FORM_MIN_SPANS, SHOWN_FORM_VERSION, makeShownForms, shownFormJson, shownFormVersion, showTraceJson } from '../../src/core/views/cliViews.js';
import { fixtureNames, loadFixture } from '../helpers/fixtures.js';
import { makeTrace, resource, scope } from '../helpers/spans.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-forms-'));
  dirs.push(dir);
  return path.join(dir, 'spans.db');
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** What show prints for the trace from its bodies (compact, in a workspace of no files). */
function printed(store: SpanStore, traceId: string): string {
  return [...showTraceJson(store, traceId, undefined, WorkspaceIndex.empty('.'), false)].join('');
}

function kept(store: SpanStore, traceId: string): string | undefined {
  return shownFormJson(store, traceId)?.toString('utf8');
}

/** Equal texts, without printing a megabyte when they are not. */
function sameText(actual: string | undefined, expected: string, what: string): void {
  if (actual === expected) return;
  const at = [...expected].findIndex((c, i) => actual?.[i] !== c);
  assert.fail(`${what}: ${actual === undefined ? 'no form' : `differs at ${at}: ${JSON.stringify(actual.slice(at, at + 80))} for ${JSON.stringify(expected.slice(at, at + 80))}`}`);
}

function userMessage(span: Span, content: string): LogRecord {
  const t = span.startTimeUnixNano;
  return { timeUnixNano: t, observedTimeUnixNano: t, severityNumber: 9, severityText: 'INFO', body: { content }, attributes: { 'gen_ai.system': 'openai' }, droppedAttributesCount: 0, flags: 1, traceId: span.traceId, spanId: span.spanId, eventName: 'gen_ai.user.message', resource, scope };
}

/** A large trace (one span more than a form needs) whose second span is an LLM call, so that a log record joined to it changes the output. */
function largeTrace(): Span[] {
  const spans = makeTrace(FORM_MIN_SPANS + 1);
  spans[1]!.attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 3 };
  return spans;
}

describe('printed forms of large traces', () => {
  it('are made for traces of FORM_MIN_SPANS spans or more, and read back as the same text show prints from the bodies', async () => {
    const store = await SpanStore.open();
    const large = makeTrace(FORM_MIN_SPANS);
    const small = makeTrace(FORM_MIN_SPANS - 1);
    store.addSpans([...large, ...small]);
    assert.equal(kept(store, large[0]!.traceId), undefined);
    assert.deepEqual(makeShownForms(store), { made: 1, more: false });
    const text = kept(store, large[0]!.traceId);
    sameText(text, printed(store, large[0]!.traceId), 'the form');
    assert.equal((JSON.parse(text!) as { spans: unknown[] }).spans.length, FORM_MIN_SPANS);
    assert.equal(kept(store, small[0]!.traceId), undefined);
    assert.deepEqual(makeShownForms(store), { made: 0, more: false });
    await store.close();
  });

  it('are not used once a span or a log record joins the trace, until made again', async () => {
    const store = await SpanStore.open();
    const spans = largeTrace();
    const late = spans.pop()!;
    const traceId = spans[0]!.traceId;
    store.addSpans(spans);
    makeShownForms(store);
    assert.ok(kept(store, traceId));

    store.addSpans([late]);
    assert.equal(kept(store, traceId), undefined, 'a late span');
    assert.deepEqual(store.tracesWithoutForm(shownFormVersion(), FORM_MIN_SPANS), [traceId]);
    makeShownForms(store);
    sameText(kept(store, traceId), printed(store, traceId), 'made again after the late span');
    assert.ok(kept(store, traceId)!.includes(late.spanId));

    const before = kept(store, traceId)!;
    store.addLogs([userMessage(spans[1]!, 'a prompt that came as a log record')]);
    assert.equal(kept(store, traceId), undefined, 'a log record');
    makeShownForms(store);
    const after = kept(store, traceId)!;
    assert.ok(after !== before);
    assert.ok(after.includes('a prompt that came as a log record'));
    sameText(after, printed(store, traceId), 'made again after the log record');
    await store.close();
  });

  it('go with their trace: after a deletion, a clear or retention, a trace of the same id is never shown from the old form', async () => {
    const store = await SpanStore.open();
    const first = largeTrace();
    const traceId = first[0]!.traceId;
    store.addSpans(first);
    makeShownForms(store);
    store.deleteTraces([traceId]);
    // The same trace id with other spans of the same count and times: only deleting the form keeps it from showing.
    const second = largeTrace();
    second.forEach((s, i) => {
      s.traceId = traceId;
      s.startTimeUnixNano = first[i]!.startTimeUnixNano;
      s.endTimeUnixNano = first[i]!.endTimeUnixNano;
    });
    store.addSpans(second);
    assert.equal(kept(store, traceId), undefined, 'after a deletion');
    makeShownForms(store);
    assert.ok(kept(store, traceId)!.includes(second[5]!.spanId));

    store.clear();
    store.addSpans(first);
    assert.equal(kept(store, traceId), undefined, 'after a clear');
    await store.close();

    const retained = await SpanStore.open({ retention: { maxTraces: 1 } });
    retained.addSpans(first);
    makeShownForms(retained);
    retained.addSpans(makeTrace(3, 1_800_000_000_000_000_000n));
    assert.deepEqual(retained.enforceRetention(), [traceId]);
    retained.addSpans(second);
    assert.equal(kept(retained, traceId), undefined, 'after retention');
    await retained.close();
  });

  it('are not kept past FORM_MAX_CHARS of text: such a trace prints from its bodies and is not tried again', async () => {
    const store = await SpanStore.open();
    const spans = largeTrace();
    const traceId = spans[0]!.traceId;
    store.addSpans(spans);
    const full = printed(store, traceId).length;
    assert.deepEqual(makeShownForms(store, Infinity, full - 1), { made: 1, more: false });
    assert.equal(kept(store, traceId), undefined);
    assert.deepEqual(store.tracesWithoutForm(shownFormVersion(), FORM_MIN_SPANS), []);
    assert.deepEqual(makeShownForms(store, Infinity, full - 1), { made: 0, more: false });
    // Until the trace changes: then it is tried again, and kept when it fits.
    store.addSpans(makeTrace(2).map((s) => ({ ...s, traceId })));
    assert.deepEqual(makeShownForms(store, Infinity, full * 2), { made: 1, more: false });
    sameText(kept(store, traceId), printed(store, traceId), 'kept once it fits');
    await store.close();
  });

  it('are not used by another version (output format or price table)', async () => {
    const store = await SpanStore.open();
    const spans = largeTrace();
    store.addSpans(spans);
    makeShownForms(store);
    assert.ok(store.shownForm(spans[0]!.traceId, shownFormVersion()));
    assert.equal(store.shownForm(spans[0]!.traceId, `${SHOWN_FORM_VERSION + 1}:${shownFormVersion().split(':')[1]}`), undefined);
    assert.equal(store.shownForm(spans[0]!.traceId, `${SHOWN_FORM_VERSION}:another-price-table`), undefined);
    await store.close();
  });

  it('reach the files through the journal: a reader of the files finds a form the writer made, and not one made stale after it', async () => {
    const file = tempDb();
    const writer = await SpanStore.open({ path: file });
    const spans = largeTrace();
    const traceId = spans[0]!.traceId;
    writer.addSpans(spans.slice(0, -1));
    makeShownForms(writer);
    writer.flush();
    const reader = await SpanStore.open({ path: file, readOnly: true });
    sameText(kept(reader, traceId), printed(reader, traceId), 'read from the journal');
    await reader.close();

    writer.addSpans(spans.slice(-1));
    writer.flush();
    const later = await SpanStore.open({ path: file, readOnly: true });
    assert.equal(kept(later, traceId), undefined);
    await later.close();

    makeShownForms(writer);
    await writer.close();
    const reopened = await SpanStore.open({ path: file, readOnly: true });
    sameText(kept(reopened, traceId), printed(reopened, traceId), 'read from the snapshot');
    await reopened.close();
  });

  it('SHOWN_FORM_VERSION is bumped whenever the printed JSON changes (the fixtures of every convention, hashed)', async () => {
    const store = await SpanStore.open();
    for (const { dialect, scenario } of fixtureNames()) {
      const f = loadFixture(dialect, scenario);
      store.addSpans(f.spans);
      store.addLogs(f.logs);
    }
    const hash = createHash('sha256');
    for (const t of store.listTraces(Number.MAX_SAFE_INTEGER).sort((a, b) => (a.traceId < b.traceId ? -1 : 1))) hash.update(printed(store, t.traceId));
    await store.close();
    // A change here means show prints other JSON for the same spans: forms made before would be
    // shown stale. Bump SHOWN_FORM_VERSION (src/core/views/cliViews.ts) and record the new hash.
    // A change of the fixtures themselves only needs the new hash.
    assert.deepEqual({ version: SHOWN_FORM_VERSION, sha256: hash.digest('hex') }, { version: 1, sha256: '28f2d1d099c0a125ad92ae343c2e62d9513dbe25cf99fd8a24f40897e2fbad73' });
  });
});
