/** The span store: queries, persistence through snapshot and journal, and recovery. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SpanStore, StoreError } from '../../src/core/store/spanStore.js';
import { listJournals } from '../../src/core/store/files.js';
import { makeTrace } from '../helpers/spans.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-store-'));
  dirs.push(dir);
  return path.join(dir, 'spans.db');
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('span store queries', () => {
  it('lists traces newest first with span count, duration and error count', async () => {
    const store = await SpanStore.open();
    const older = makeTrace(3, 1_700_000_000_000_000_000n, { errors: 1 });
    const newer = makeTrace(5, 1_700_000_100_000_000_000n, { errors: 2 });
    store.addSpans([...older.slice(1), ...newer]);
    store.addSpans(older.slice(0, 1)); // the root arrives after its children
    const list = store.listTraces();
    assert.deepEqual(list.map((t) => [t.traceId, t.name, t.service, t.spanCount, t.errorCount, t.durationMs]), [
      [newer[0]!.traceId, 'root', 'svc', 5, 2, 5],
      [older[0]!.traceId, 'root', 'svc', 3, 1, 3],
    ]);
    assert.equal(list[1]!.startTimeUnixNano, '1700000000000000000');
    await store.close();
  });

  it('ignores a span sent twice (an exporter retry)', async () => {
    const store = await SpanStore.open();
    const spans = makeTrace(4);
    assert.equal(store.addSpans(spans), 4);
    assert.equal(store.addSpans(spans), 0);
    assert.equal(store.spanCount, 4);
    assert.equal(store.listTraces()[0]!.spanCount, 4);
    await store.close();
  });

  it('stores only the new spans of a batch that repeats some, and reads each back from its own body', async () => {
    const store = await SpanStore.open();
    const spans = makeTrace(150);
    assert.equal(store.addSpans(spans.slice(0, 70)), 70);
    assert.equal(store.addSpans(spans), 80, 'the first 70 were stored before');
    assert.equal(store.listTraces()[0]!.spanCount, 150);
    assert.deepEqual(store.getTrace(spans[0]!.traceId), spans);
    await store.close();
  });

  it('returns one trace in start order and spans by time window', async () => {
    const store = await SpanStore.open();
    const spans = makeTrace(10);
    store.addSpans([...spans].reverse());
    assert.deepEqual(store.getTrace(spans[0]!.traceId), spans);
    const window = store.spansInWindow('1700000000003000000', '1700000000005000000');
    // Spans 3 and 4 start inside; the root (0 .. 10 ms) overlaps it; span 2 ends at 2.5 ms.
    assert.deepEqual(window.map((s) => s.name), ['root', 'child 3', 'child 4']);
    await store.close();
  });

  it('keeps a body while any of its spans is stored, whichever traces shared it, and deletes it after', async () => {
    const store = await SpanStore.open();
    const bodies = (): number[][] => store['tables'].all('SELECT id, live FROM bodies ORDER BY id') as number[][];
    const [a, b, c] = [makeTrace(3), makeTrace(2), makeTrace(4)];
    store.addSpans([...a, ...b]); // body 1: traces a and b
    store.addSpans([...c.slice(0, 1)]); // body 2: c's first span
    store.addSpans(c); // body 3: the rest of c
    assert.deepEqual(bodies(), [[1, 5], [2, 1], [3, 3]]);
    store.deleteTraces([a[0]!.traceId]);
    assert.deepEqual(bodies(), [[1, 2], [2, 1], [3, 3]]);
    assert.deepEqual(store.getTrace(b[0]!.traceId), b);
    store.deleteTraces([b[0]!.traceId, c[0]!.traceId]);
    assert.deepEqual(bodies(), []);
    assert.equal(store.spanCount, 0);
    await store.close();
  });

  it('clears everything', async () => {
    const store = await SpanStore.open();
    store.addSpans(makeTrace(3));
    store.clear();
    assert.equal(store.spanCount, 0);
    assert.deepEqual(store.listTraces(), []);
    await store.close();
  });
});

describe('span store persistence', () => {
  it('survives a close and reopen', async () => {
    const file = tempDb();
    const store = await SpanStore.open({ path: file });
    const spans = makeTrace(7);
    store.addSpans(spans);
    await store.close();
    const again = await SpanStore.open({ path: file });
    assert.deepEqual(again.getTrace(spans[0]!.traceId), spans);
    assert.equal(again.spanCount, 7);
    await again.close();
  });

  it('recovers from the journal when the process never closed the store', async () => {
    const file = tempDb();
    const store = await SpanStore.open({ path: file });
    const a = makeTrace(3);
    const b = makeTrace(4);
    store.addSpans(a);
    store.clear();
    store.addSpans(b);
    store.flush(); // what the FLUSH_MS timer does; no close, as after SIGKILL
    const again = await SpanStore.open({ path: file, readOnly: true });
    assert.equal(again.spanCount, 4);
    assert.deepEqual(again.getTrace(b[0]!.traceId), b);
    assert.deepEqual(again.getTrace(a[0]!.traceId), []);
    await again.close();
  });

  it('keeps the records before a torn journal tail', async () => {
    const file = tempDb();
    const store = await SpanStore.open({ path: file });
    const a = makeTrace(3);
    store.addSpans(a);
    store.flush();
    const [journal] = listJournals(file);
    appendFileSync(journal!.path, Buffer.from([200, 1, 0, 0, 9, 9, 9, 9, 5, 1, 2, 3])); // half a record
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(again.getTrace(a[0]!.traceId), a);
    assert.match(warnings.join('\n'), /incomplete/);
    await again.close();
  });

  it('checkpoints when the journal outgrows the snapshot, and drops old journals', async () => {
    const file = tempDb();
    const store = await SpanStore.open({ path: file, checkpointMinBytes: 64 * 1024 });
    const traces = Array.from({ length: 40 }, () => makeTrace(20));
    for (const t of traces) store.addSpans(t);
    await store.checkpoint();
    const journals = listJournals(file);
    assert.equal(journals.length, 1, 'only the current journal is left');
    assert.ok(statSync(file).size > 100 * 1024);
    store.addSpans(makeTrace(2));
    store.flush();
    const again = await SpanStore.open({ path: file, readOnly: true });
    assert.equal(again.spanCount, 40 * 20 + 2);
    await again.close();
    await store.close();
  });

  it('moves a corrupt database aside with a message and starts a new one', async () => {
    const file = tempDb();
    writeFileSync(file, 'this is not SQLite at all, just text that got here somehow'.repeat(100));
    const warnings: string[] = [];
    const store = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.equal(store.spanCount, 0);
    assert.match(warnings[0]!, /could not be read .* moved to .*spans\.db\.corrupt-/);
    const aside = readdirSync(path.dirname(file)).filter((n) => n.includes('.corrupt-'));
    assert.equal(aside.length, 1);
    store.addSpans(makeTrace(2));
    await store.close();
    assert.ok(existsSync(file));
  });

  it('refuses to open a corrupt file read-only, and leaves it where it is', async () => {
    const file = tempDb();
    writeFileSync(file, Buffer.alloc(8192, 7));
    await assert.rejects(SpanStore.open({ path: file, readOnly: true }), (err: Error) => err instanceof StoreError && /not a readable Spanlens database/.test(err.message));
    assert.ok(existsSync(file));
  });

  it('opens a snapshot cut short (a crash mid-copy by another tool) by moving it aside', async () => {
    const file = tempDb();
    const store = await SpanStore.open({ path: file });
    store.addSpans(makeTrace(50));
    await store.close();
    truncateSync(file, 1000);
    for (const j of listJournals(file)) rmSync(j.path);
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    await again.close();
  });
});
