/**
 * Bad input: each malformed request gets the protocol's answer with a message, the receiver
 * keeps serving, and what was stored before is intact.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync, createGzip } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from '../../src/core/otlp/schema.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';
import { type RunningReceiver, startReceiver } from '../helpers/receiver.js';

const LIMIT = 1024 * 1024;

async function post(url: string, body: Uint8Array, headers: Record<string, string>, method = 'POST'): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(url, { method, body: method === 'GET' ? undefined : body, headers });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

describe('malformed OTLP/HTTP requests', () => {
  let rx: RunningReceiver;
  let url: string;
  let baselineTrace: string;
  let baselineCount: number;

  before(async () => {
    rx = await startReceiver({ maxBodyBytes: LIMIT });
    url = `${rx.httpUrl}/v1/traces`;
    const spans = sdkSpans(5, 'baseline');
    baselineTrace = spans[0]!.spanContext().traceId;
    const ok = await post(url, protobufBody(spans), PROTO);
    assert.equal(ok.status, 200);
    baselineCount = rx.store.spanCount;
    assert.equal(baselineCount, 5);
  });

  after(async () => {
    // Still serving, and the data from before every bad request is intact.
    const spans = sdkSpans(3, 'after');
    const ok = await post(url, protobufBody(spans), PROTO);
    assert.equal(ok.status, 200);
    assert.equal(rx.store.getTrace(baselineTrace).length, 5);
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 3);
    await rx.stop();
  });

  function statusOf(res: { type: string | null; body: Buffer }): { code: number; message: string } {
    if (res.type === 'application/json') return JSON.parse(res.body.toString());
    return RpcStatus.decode(res.body) as unknown as { code: number; message: string };
  }

  it('random bytes: 400 with a google.rpc.Status in protobuf', async () => {
    const res = await post(url, randomBytes(4096), PROTO);
    assert.equal(res.status, 400);
    assert.equal(res.type, 'application/x-protobuf');
    const status = statusOf(res);
    assert.equal(status.code, 3);
    assert.match(status.message, /protobuf|must|missing/);
    assert.equal(rx.store.spanCount, baselineCount);
  });

  it('truncated protobuf: 400', async () => {
    const whole = protobufBody(sdkSpans(20, 'truncated'));
    const res = await post(url, whole.subarray(0, Math.floor(whole.length * 0.6)), PROTO);
    assert.equal(res.status, 400);
    assert.match(statusOf(res).message, /not a valid ExportTraceServiceRequest/);
  });

  it('invalid JSON: 400 with a JSON Status', async () => {
    const res = await post(url, Buffer.from('{"resourceSpans": [ {'), JSON_TYPE);
    assert.equal(res.status, 400);
    assert.equal(res.type, 'application/json');
    assert.match(statusOf(res).message, /not valid JSON/);
  });

  it('JSON with wrong types in the structure: 400', async () => {
    for (const body of ['[]', '{"resourceSpans": "yes"}', '{"resourceSpans": [{"scopeSpans": {"spans": []}}]}']) {
      const res = await post(url, Buffer.from(body), JSON_TYPE);
      assert.equal(res.status, 400, body);
      assert.match(statusOf(res).message, /must be/);
    }
  });

  it('a span with a wrong-typed field is rejected alone (partial success); the others are kept', async () => {
    const doc = JSON.parse(jsonBody(sdkSpans(4, 'wrongtype')).toString());
    const spans = doc.resourceSpans[0].scopeSpans[0].spans;
    spans[1].name = 42;
    const res = await post(url, Buffer.from(JSON.stringify(doc)), JSON_TYPE);
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /name must be a string/);
    assert.equal(rx.store.getTrace(spans[0].traceId).length, 3);
  });

  it('an id of the wrong length: partial success in protobuf, the rest kept', async () => {
    const doc = JSON.parse(jsonBody(sdkSpans(4, 'badid')).toString());
    const spans = doc.resourceSpans[0].scopeSpans[0].spans;
    spans[2].spanId = 'abcd';
    const res = await post(url, Buffer.from(JSON.stringify(doc)), JSON_TYPE);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body.toString()).partialSuccess.rejectedSpans, '1');
    assert.equal(rx.store.getTrace(spans[0].traceId).length, 3);

    // The same in protobuf: one span with a 7-byte span id among good ones.
    const traceId = randomBytes(16);
    const span = (id: Buffer, name: string) => ({ traceId, spanId: id, name, startTimeUnixNano: 1, endTimeUnixNano: 2 });
    const request = ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [span(randomBytes(8), 'good 1'), span(randomBytes(7), 'bad'), span(randomBytes(8), 'good 2')] }] }],
    });
    const res2 = await post(url, Buffer.from(ExportTraceServiceRequest.encode(request).finish()), PROTO);
    assert.equal(res2.status, 200);
    assert.equal(res2.type, 'application/x-protobuf');
    const decoded = ExportTraceServiceResponse.decode(res2.body) as unknown as { partialSuccess: { rejectedSpans: { toNumber(): number }; errorMessage: string } };
    assert.equal(decoded.partialSuccess.rejectedSpans.toNumber(), 1);
    assert.match(decoded.partialSuccess.errorMessage, /spanId must be 8 bytes, got 7/);
    assert.deepEqual(rx.store.getTrace(traceId.toString('hex')).map((s) => s.name).sort(), ['good 1', 'good 2']);
  });

  it('a corrupt gzip stream: 400', async () => {
    const gz = gzipSync(protobufBody(sdkSpans(3, 'gz')));
    gz.fill(0x55, 12, 40);
    const res = await post(url, gz, { ...PROTO, 'content-encoding': 'gzip' });
    assert.equal(res.status, 400);
    assert.match(statusOf(res).message, /gzip stream is corrupt/);
  });

  it('a body over the limit: 413', async () => {
    const res = await post(url, Buffer.alloc(LIMIT + 1, 1), PROTO);
    assert.equal(res.status, 413);
    assert.match(statusOf(res).message, /larger than 1048576 bytes/);
  });

  it('a gzip bomb: 413 without inflating it', async () => {
    // 1 GiB of zeros compresses to about 1 MiB; inflating it would show in memory.
    const gzip = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzip.on('data', (c: Buffer) => parts.push(c));
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < 64; i++) gzip.write(zeros);
    await new Promise<void>((resolve) => gzip.end(resolve));
    const bomb = Buffer.concat(parts);
    assert.ok(bomb.length < LIMIT * 2);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const res = await post(url, bomb, { ...PROTO, 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.ok(Date.now() - started < 5000, 'answered before inflating everything');
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, 'did not hold the inflated body');
  });

  it('a wrong content type: 415', async () => {
    const res = await post(url, Buffer.from('hello'), { 'content-type': 'text/plain' });
    assert.equal(res.status, 415);
    assert.match(statusOf(res).message, /unsupported content type "text\/plain"/);
  });

  it('an unknown content encoding: 415', async () => {
    const res = await post(url, Buffer.from('hello'), { ...PROTO, 'content-encoding': 'br' });
    assert.equal(res.status, 415);
  });

  it('GET: 405 with Allow: POST; other paths: 404', async () => {
    const res = await fetch(url);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    const other = await post(`${rx.httpUrl}/v1/spans`, Buffer.from('{}'), JSON_TYPE);
    assert.equal(other.status, 404);
  });

  it('metrics are accepted and dropped', async () => {
    const res = await post(`${rx.httpUrl}/v1/metrics`, Buffer.from('{"resourceMetrics": []}'), JSON_TYPE);
    assert.equal(res.status, 200);
  });
});

describe('malformed OTLP/gRPC requests', () => {
  let rx: RunningReceiver;
  let client: grpc.Client;
  const path = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

  before(async () => {
    rx = await startReceiver({ maxBodyBytes: LIMIT });
    client = new grpc.Client(`127.0.0.1:${rx.address.grpc}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  });
  after(async () => {
    client.close();
    await rx.stop();
  });

  const call = (body: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, (err, res) => (err ? reject(err) : resolve(res!)));
    });

  it('bad bytes: INVALID_ARGUMENT with a message, then a good request still works', async () => {
    await assert.rejects(call(randomBytes(2048)), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /protobuf|must|missing/);
      return true;
    });
    const spans = sdkSpans(2, 'grpc-good');
    await call(protobufBody(spans));
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 2);
  });

  it('over the limit: RESOURCE_EXHAUSTED', async () => {
    await assert.rejects(call(Buffer.alloc(LIMIT + 10)), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      return true;
    });
  });
});
