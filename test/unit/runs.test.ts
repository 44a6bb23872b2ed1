/** Runs, pins, deletes and retention in the store. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Resource, Span } from '../../src/core/model.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { makeTrace } from '../helpers/spans.js';

const SEC = 1_000_000_000n;
const T0 = 1_700_000_000n * SEC;

function traceOf(resource: Resource, startNs: bigint, spans = 2): Span[] {
  return makeTrace(spans, startNs).map((s) => ({ ...s, resource }));
}
const res = (attributes: Resource['attributes']): Resource => ({ attributes: { 'service.name': 'app', ...attributes }, droppedAttributesCount: 0, schemaUrl: '' });

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('runs', () => {
  it('groups by spanlens.run.id when the app sets it', async () => {
    const store = await SpanStore.open();
    store.addSpans(traceOf(res({ 'spanlens.run.id': 'run-a' }), T0));
    store.addSpans(traceOf(res({ 'spanlens.run.id': 'run-a' }), T0 + 3600n * SEC));
    store.addSpans(traceOf(res({ 'spanlens.run.id': 'run-b' }), T0 + 10n * SEC));
    const runs = store.listRuns();
    // Newest first by start: run-b began 10 s after run-a.
    assert.deepEqual(runs.map((r) => [r.runId, r.traceCount, r.explicit]), [['run-b', 1, true], ['run-a', 2, true]]);
    assert.equal(store.listTraces(10, 0, 'run-b').length, 1);
    await store.close();
  });

  it('otherwise groups by process and splits where the app was quiet longer than the gap', async () => {
    const store = await SpanStore.open({ quietGapMs: 60_000 });
    const p1 = res({ 'process.pid': 100, 'host.name': 'box' });
    const p2 = res({ 'process.pid': 200, 'host.name': 'box' });
    store.addSpans(traceOf(p1, T0));
    store.addSpans(traceOf(p1, T0 + 30n * SEC)); // within the gap: same run
    store.addSpans(traceOf(p2, T0 + 31n * SEC)); // another process: another run
    store.addSpans(traceOf(p1, T0 + 300n * SEC)); // after a long pause: a new run
    const runs = store.listRuns();
    assert.equal(runs.length, 3);
    assert.deepEqual(runs.map((r) => r.traceCount), [1, 1, 2]);
    assert.ok(runs.every((r) => !r.explicit));
    await store.close();
  });

  it('keeps a trace in its run when more of its spans arrive later', async () => {
    const store = await SpanStore.open({ quietGapMs: 1000 });
    const spans = traceOf(res({ 'process.pid': 1 }), T0, 4);
    store.addSpans(spans.slice(0, 2));
    store.addSpans(traceOf(res({ 'process.pid': 1 }), T0 + 100n * SEC));
    store.addSpans(spans.slice(2));
    const trace = store.traceSummary(spans[0]!.traceId)!;
    assert.equal(trace.spanCount, 4);
    assert.equal(store.listRuns().length, 2);
    await store.close();
  });
});

describe('pins, deletes and retention', () => {
  it('deletes a trace or a run with their spans and logs, and the change survives a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-runs-'));
    dirs.push(dir);
    const file = path.join(dir, 'db');
    const store = await SpanStore.open({ path: file });
    const a = traceOf(res({ 'spanlens.run.id': 'a' }), T0);
    const b = traceOf(res({ 'spanlens.run.id': 'b' }), T0 + SEC);
    const c = traceOf(res({ 'spanlens.run.id': 'b' }), T0 + 2n * SEC);
    store.addSpans([...a, ...b, ...c]);
    store.deleteTraces([a[0]!.traceId]);
    store.deleteRun('b');
    store.flush();
    assert.equal(store.spanCount, 0);
    assert.deepEqual(store.listRuns(), []);
    const again = await SpanStore.open({ path: file, readOnly: true });
    assert.equal(again.spanCount, 0);
    await again.close();
    await store.close();
  });

  it('keeps at most maxTraces, deleting the oldest unpinned runs first', async () => {
    const store = await SpanStore.open({ retention: { maxTraces: 4 } });
    for (let run = 0; run < 4; run++) {
      for (let t = 0; t < 2; t++) store.addSpans(traceOf(res({ 'spanlens.run.id': `run-${run}` }), T0 + BigInt(run * 100 + t) * SEC));
    }
    store.setPinned('run', 'run-0', true);
    const deleted = store.enforceRetention();
    assert.equal(deleted.length, 4);
    assert.deepEqual(store.listRuns().map((r) => r.runId).sort(), ['run-0', 'run-3']);
    assert.equal(store.traceCount(), 4);
    assert.equal(store.listRuns().find((r) => r.runId === 'run-0')!.pinned, true);
    await store.close();
  });

  it('keeps the newest traces of every run still going, not the whole of the newest one', async () => {
    // Two apps sending side by side (as in the soak): retention must not empty one of them.
    const store = await SpanStore.open({ retention: { maxTraces: 6 }, quietGapMs: 60_000 });
    const old = traceOf(res({ 'spanlens.run.id': 'finished' }), T0);
    store.addSpans(old);
    for (let t = 0; t < 6; t++) {
      for (const app of ['a', 'b']) store.addSpans(traceOf(res({ 'spanlens.run.id': `app-${app}` }), T0 + BigInt(1000 + t * 5) * SEC + (app === 'b' ? SEC : 0n)));
    }
    const deleted = store.enforceRetention();
    assert.equal(deleted.length, 7);
    assert.ok(deleted.includes(old[0]!.traceId), 'the run that ended goes first');
    const kept = store.listRuns().map((r) => [r.runId, r.traceCount]).sort();
    assert.deepEqual(kept, [['app-a', 3], ['app-b', 3]]);
    const starts = store.listTraces(10, 0).map((t) => BigInt(t.startTimeUnixNano));
    assert.ok(starts.every((s) => s >= T0 + 1015n * SEC), 'the newest traces of both runs are kept');
    await store.close();
  });

  it('keeps the database under maxBytes', async () => {
    const store = await SpanStore.open({ retention: { maxBytes: 2 * 1024 * 1024 } });
    for (let i = 0; i < 60; i++) {
      const spans = traceOf(res({ 'spanlens.run.id': `r${i}` }), T0 + BigInt(i) * SEC, 50);
      for (const s of spans) s.attributes.payload = 'x'.repeat(1000);
      store.addSpans(spans);
    }
    const before = store.traceCount();
    assert.ok(store.usedBytes() > 2 * 1024 * 1024, 'the test fills past the limit');
    store.enforceRetention();
    assert.ok(store.traceCount() < before);
    assert.ok(store.usedBytes() <= 2 * 1024 * 1024, `used ${store.usedBytes()} bytes`);
    const newest = store.listTraces(1)[0]!;
    assert.equal(newest.runId, 'r59', 'the newest run is kept');
    await store.close();
  });
});
