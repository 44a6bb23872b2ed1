/** The store in its worker thread behind the real receiver: acknowledged means stored, queries answer, the worker closes cleanly. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { StoreClient } from '../../src/core/store/storeClient.js';
import { OtlpReceiver } from '../../src/receiver/receiver.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function bulkySpans(count: number, prefix: string): ReadableSpan[] {
  return sdkSpans(count, prefix).map((s) => ({ ...s, spanContext: () => s.spanContext(), attributes: { ...s.attributes, prompt: randomBytes(48 * 1024).toString('base64') } }) as ReadableSpan);
}

describe('store worker', () => {
  it('stores what the receiver acknowledged, answers queries, imports and exports, and persists on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-worker-'));
    dirs.push(dir);
    const file = path.join(dir, 'db');
    const client = await StoreClient.open({ path: file });
    const changes: number[] = [];
    client.onDidChange((c) => changes.push(c.spans));
    const receiver = new OtlpReceiver({ sink: client, log: quiet, httpPort: 0, grpcPort: 0 });
    const { http } = await receiver.start();
    const batches = [sdkSpans(20, 'a'), sdkSpans(30, 'b')];
    for (const [i, spans] of batches.entries()) {
      const res = await fetch(`http://127.0.0.1:${http}/v1/traces`, {
        method: 'POST',
        body: i === 0 ? protobufBody(spans) : jsonBody(spans),
        headers: { 'content-type': i === 0 ? 'application/x-protobuf' : 'application/json' },
      });
      assert.equal(res.status, 200);
    }
    // Acknowledged: the worker has it, without waiting.
    assert.equal(client.spanCount, 50);
    const traces = await client.call('listTraces', 10);
    assert.deepEqual(traces.map((t) => t.spanCount).sort(), [20, 30]);
    const first = batches[0]![0]!.spanContext().traceId;
    assert.equal((await client.call('getTrace', first)).length, 20);
    const exported = await client.exportOtlp([first]);
    await client.call('deleteTraces', [first]);
    assert.equal(client.spanCount, 30);
    const imported = await client.importOtlp(Buffer.from(exported));
    assert.equal(imported.spans, 20);
    assert.deepEqual(changes, [20, 30, 0, 20]);
    await receiver.stop();
    await client.close();
    const reopened = await SpanStore.open({ path: file, readOnly: true });
    assert.equal(reopened.spanCount, 50);
    await reopened.close();
  });

  it('answers a view\'s query ahead of the batches queued before it, and stores those in order', async () => {
    const client = await StoreClient.open({});
    try {
      // Bulky bodies (64 spans with 64 KB that compress poorly): cheap to send, slow to store.
      const bodies = Array.from({ length: 16 }, (_, i) => protobufBody(bulkySpans(64, `queued-${i}`)));
      const order: string[] = [];
      const adds = bodies.map((body, i) =>
        client.addSpans(decodeTraces(body, 'protobuf').items, { encoding: 'protobuf', body }).then(() => order.push(`add ${i}`)));
      const listed = client.call('listTraces', 100).then(() => order.push('list'));
      await Promise.all([...adds, listed]);
      // Sent after all sixteen batches, answered before most of them were stored.
      assert.ok(order.indexOf('list') <= 4, order.join(', '));
      assert.deepEqual(order.filter((o) => o !== 'list'), bodies.map((_, i) => `add ${i}`));
      assert.equal(client.spanCount, 16 * 64);
    } finally {
      await client.close();
    }
  });

  it('answers 503 with Retry-After when more batches wait than the worker may queue, losing none it acknowledged', async () => {
    const client = await StoreClient.open({}, 1);
    const receiver = new OtlpReceiver({ sink: client, log: quiet, httpPort: 0, grpcPort: 0 });
    const { http } = await receiver.start();
    const bodies = Array.from({ length: 8 }, (_, i) => protobufBody(sdkSpans(200, `burst-${i}`)));
    const answers = await Promise.all(
      bodies.map((body) => fetch(`http://127.0.0.1:${http}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.includes(503), `some were refused: ${statuses.join(',')}`);
    assert.ok(answers.filter((a) => a.status === 503).every((a) => a.headers.get('retry-after') === '1'));
    assert.equal(client.spanCount, statuses.filter((s) => s === 200).length * 200);
    await receiver.stop();
    await client.close();
  });

  it('compacts its memory in the worker after a large delete, and says so in the log', async () => {
    const infos: string[] = [];
    const client = await StoreClient.open({ onInfo: (m) => infos.push(m) });
    for (let i = 0; i < 8; i++) {
      const body = protobufBody(bulkySpans(100, `m${i}`));
      await client.addSpans(decodeTraces(body, 'protobuf').items, { encoding: 'protobuf', body });
    }
    const full = await client.call('memory');
    await client.call('clear');
    assert.equal(await client.call('compact', true), true);
    const compacted = await client.call('memory');
    assert.ok(compacted.fileBytes < full.fileBytes / 4, `the database ${full.fileBytes} → ${compacted.fileBytes} bytes`);
    assert.ok(compacted.engineBytes < full.engineBytes, `SQLite's heap ${full.engineBytes} → ${compacted.engineBytes} bytes`);
    assert.equal(compacted.compactions, 1);
    assert.equal(infos.length, 1);
    assert.match(infos[0]!, /^Compacted the store's memory in \d+ ms: SQLite's heap \d+ → \d+ MiB/);
    await client.close();
  });

  it('reports a database it cannot open', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-worker-'));
    dirs.push(dir);
    const file = path.join(dir, 'db');
    writeFileSync(file, 'not a database'.repeat(500));
    await assert.rejects(StoreClient.open({ path: file, readOnly: true }), (err: Error) => err.name === 'StoreError' && /is not a readable Spanlens database/.test(err.message));
  });
});
