/** OTLP files: export then import gives the same spans; JSON Lines, gzip and protobuf files import. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ImportError, exportOtlp, importOtlp } from '../../src/core/importExport.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';
import { makeTrace, resource, scope } from '../helpers/spans.js';

describe('import and export', () => {
  it('round-trips spans of every attribute type, events, links, status and log records', async () => {
    const a = await SpanStore.open();
    const spans = makeTrace(6, 1_700_000_000_000_000_000n, { errors: 2 });
    spans[2]!.attributes = { s: 'x', i: 42, big: '9223372036854775807', d: 0.5, b: false, arr: [1, 'a', null], kv: { deep: { list: [true] } }, nan: Number.NaN };
    spans[3]!.links = [{ traceId: spans[0]!.traceId, spanId: spans[1]!.spanId, traceState: 'k=v', attributes: { why: 'retry' }, droppedAttributesCount: 1, flags: 1 }];
    spans[4]!.traceState = 'vendor=1';
    spans[4]!.droppedEventsCount = 3;
    a.addSpans(spans);
    a.addLogs([{ timeUnixNano: '5', observedTimeUnixNano: '6', severityNumber: 9, severityText: 'INFO', body: { role: 'user', content: 'hi' }, attributes: { n: 1 }, droppedAttributesCount: 0, flags: 1, traceId: spans[0]!.traceId, spanId: spans[1]!.spanId, eventName: 'gen_ai.user.message', resource, scope }]);
    const file = exportOtlp(a, [spans[0]!.traceId]);
    assert.equal(file.trim().split('\n').length, 2, 'a trace line and a logs line');

    const b = await SpanStore.open();
    const result = importOtlp(b, Buffer.from(file));
    assert.deepEqual(result, { spans: 6, logs: 1, rejected: 0, traceIds: [spans[0]!.traceId] });
    assert.deepEqual(b.getTrace(spans[0]!.traceId), a.getTrace(spans[0]!.traceId));
    assert.deepEqual(b.logsForTrace(spans[0]!.traceId), a.logsForTrace(spans[0]!.traceId));
    assert.deepEqual(b.listTraces().map(({ runId: _r, ...t }) => t), a.listTraces().map(({ runId: _r, ...t }) => t));
    await a.close();
    await b.close();
  });

  it('imports JSON Lines as the Collector file exporter writes them, gzip-compressed too', async () => {
    const one = sdkSpans(3, 'first');
    const two = sdkSpans(4, 'second');
    const lines = `${jsonBody(one).toString()}\n${jsonBody(two).toString()}\n{"resourceMetrics": []}\n`;
    for (const raw of [Buffer.from(lines), gzipSync(lines)]) {
      const store = await SpanStore.open();
      const r = importOtlp(store, raw);
      assert.equal(r.spans, 7);
      assert.equal(r.traceIds.length, 2);
      await store.close();
    }
  });

  it('imports a protobuf request and a file of length-prefixed requests', async () => {
    const one = protobufBody(sdkSpans(2, 'p1'));
    const two = protobufBody(sdkSpans(5, 'p2'));
    const prefixed = Buffer.concat([lengthOf(one), one, lengthOf(two), two]);
    const store = await SpanStore.open();
    assert.equal(importOtlp(store, one).spans, 2);
    assert.equal(importOtlp(store, prefixed).spans, 5, 'the first request was imported already; duplicates are ignored');
    assert.equal(store.spanCount, 7);
    await store.close();
  });

  it('says what is wrong with a file that is not OTLP', async () => {
    const store = await SpanStore.open();
    assert.throws(() => importOtlp(store, Buffer.from('{"resourceSpans": [}\n{"x": 1}')), (e: Error) => e instanceof ImportError && /line 1 is not JSON/.test(e.message));
    assert.throws(() => importOtlp(store, Buffer.from([1, 2, 3, 4, 5, 6, 7])), ImportError);
    assert.throws(() => importOtlp(store, Buffer.from('{"resourceSpans": 5}')), (e: Error) => e instanceof ImportError && /must be an array/.test(e.message));
    assert.equal(store.spanCount, 0);
    await store.close();
  });
});

function lengthOf(b: Buffer): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(b.length);
  return out;
}
