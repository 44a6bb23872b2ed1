/**
 * Who may talk to the real receiver: rebinding Hosts and foreign browser origins are refused,
 * allowed origins get CORS answers, a token guards HTTP and gRPC (and the real OTel exporters
 * deliver with it), a non-loopback bind without a token does not start, and refused requests
 * leave the store as it was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { RpcStatus } from '../../src/core/otlp/schema.js';
import { tracedEnvironment } from '../../src/core/run/traceEnv.js';
import { ReceiverAccessError } from '../../src/receiver/access.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';
import { type RunningReceiver, eventually, startReceiver } from '../helpers/receiver.js';
import { run as runCli, serve as serveCli } from '../helpers/cli.js';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fakeOpenAI.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request, so the test sets Host and Origin exactly as a browser or attacker would. */
function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path ?? '/v1/traces', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<{ code: ExportResultCode; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve(r)));
}

function grpcCall(port: number, body: Buffer, metadata = new grpc.Metadata()): Promise<Buffer> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, metadata, (err, res) => (err ? reject(err) : resolve(res!)));
  }).finally(() => client.close());
}

const FOREIGN = 'http://dev.example.test:3000';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('receiver on loopback: Host and Origin', () => {
  let rx: RunningReceiver;
  let baseline: { traceId: string; count: number };

  before(async () => {
    rx = await startReceiver({ allowedOrigins: [FOREIGN] });
    const spans = sdkSpans(3, 'baseline');
    const ok = await request(rx.address.http, { headers: { ...JSON_TYPE, host: `localhost:${rx.address.http}` }, body: jsonBody(spans) });
    assert.equal(ok.status, 200);
    baseline = { traceId: spans[0]!.spanContext().traceId, count: rx.store.spanCount };
    assert.equal(baseline.count, 3);
  });
  after(() => rx.stop());

  it('refuses a DNS-rebinding Host with 403 and an OTLP Status saying why, storing nothing', async () => {
    const spans = sdkSpans(2, 'rebound');
    const res = await request(rx.address.http, { headers: { ...JSON_TYPE, host: `rebind.attacker.example:${rx.address.http}` }, body: jsonBody(spans) });
    assert.equal(res.status, 403);
    const status = JSON.parse(res.body.toString()) as { code: number; message: string };
    assert.equal(status.code, grpc.status.PERMISSION_DENIED);
    assert.match(status.message, /"rebind\.attacker\.example:\d+" is not a loopback name/);
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 0);
  });

  it('answers in protobuf when the refused request was protobuf', async () => {
    const res = await request(rx.address.http, { headers: { 'content-type': 'application/x-protobuf', host: 'evil.example' }, body: protobufBody(sdkSpans(1)) });
    assert.equal(res.status, 403);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    assert.match(RpcStatus.decode(res.body).message, /not a loopback name/);
  });

  it('accepts every loopback spelling of the Host', async () => {
    for (const host of [`127.0.0.1:${rx.address.http}`, `[::1]:${rx.address.http}`, `localhost:${rx.address.http}`]) {
      const res = await request(rx.address.http, { path: '/v1/metrics', headers: { ...JSON_TYPE, host }, body: Buffer.from('{}') });
      assert.equal(res.status, 200, host);
    }
  });

  it('refuses a browser request from a foreign origin with 403 and no CORS grant', async () => {
    const spans = sdkSpans(2, 'foreign');
    const res = await request(rx.address.http, { headers: { ...JSON_TYPE, origin: 'https://evil.example' }, body: jsonBody(spans) });
    assert.equal(res.status, 403);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.match(JSON.parse(res.body.toString()).message, /spanlens\.receiver\.allowedOrigins/);
    const preflight = await request(rx.address.http, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 0);
  });

  it('answers the preflight of an allowed origin 204 with the CORS headers a browser checks', async () => {
    const res = await request(rx.address.http, {
      method: 'OPTIONS',
      headers: { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], FOREIGN);
    assert.equal(res.headers['access-control-allow-methods'], 'POST');
    assert.equal(res.headers['access-control-allow-headers'], 'content-type, authorization');
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.match(String(res.headers.vary), /Origin/);
  });

  it('stores the POST of an allowed (or loopback) origin and grants it to the page', async () => {
    for (const origin of [FOREIGN, 'http://localhost:5173']) {
      const spans = sdkSpans(2, origin);
      const res = await request(rx.address.http, { headers: { ...JSON_TYPE, origin }, body: jsonBody(spans) });
      assert.equal(res.status, 200, origin);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 2);
    }
  });

  it('keeps error answers readable by an allowed page (CORS headers on a 404)', async () => {
    const res = await request(rx.address.http, { path: '/v1/nothing', headers: { ...JSON_TYPE, origin: FOREIGN }, body: Buffer.from('{}') });
    assert.equal(res.status, 404);
    assert.equal(res.headers['access-control-allow-origin'], FOREIGN);
  });

  it('lost nothing stored before the refused requests, and logged why it refused', () => {
    assert.equal(rx.store.getTrace(baseline.traceId).length, 3);
    assert.equal(rx.store.spanCount, baseline.count + 4);
    assert.ok(rx.logs.some((l) => /refused a request \(403\).*rebind\.attacker\.example/.test(l)));
  });
});

describe('receiver with a token', () => {
  const TOKEN = 'correct horse battery staple';
  let rx: RunningReceiver;
  let before401: number;

  before(async () => {
    rx = await startReceiver({ token: TOKEN });
    const ok = await request(rx.address.http, { headers: { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` }, body: jsonBody(sdkSpans(2, 'first')) });
    assert.equal(ok.status, 200);
    before401 = rx.store.spanCount;
  });
  after(() => rx.stop());

  it('answers OTLP/HTTP without the token 401 with WWW-Authenticate, and with a wrong one too', async () => {
    for (const headers of [JSON_TYPE, { ...JSON_TYPE, authorization: 'Bearer guessed' }]) {
      const res = await request(rx.address.http, { headers, body: jsonBody(sdkSpans(2, 'unauthorized')) });
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="spanlens"');
      assert.equal(JSON.parse(res.body.toString()).code, grpc.status.UNAUTHENTICATED);
    }
    assert.equal(rx.store.spanCount, before401);
  });

  it('answers OTLP/gRPC without the token UNAUTHENTICATED', async () => {
    const body = protobufBody(sdkSpans(2, 'grpc unauthorized'));
    await assert.rejects(grpcCall(rx.address.grpc, body), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNAUTHENTICATED);
      assert.match(err.details, /needs a token/);
      return true;
    });
    const wrong = new grpc.Metadata();
    wrong.set('authorization', 'Bearer guessed');
    await assert.rejects(grpcCall(rx.address.grpc, body, wrong), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
    assert.equal(rx.store.spanCount, before401);
  });

  it('the real exporters fail without the token', async () => {
    const spans = sdkSpans(2, 'exporter no token');
    const proto = new ProtoExporter({ url: `${rx.httpUrl}/v1/traces` });
    assert.equal((await exportWith(proto, spans)).code, ExportResultCode.FAILED);
    await proto.shutdown();
    const grpcExporter = new GrpcExporter({ url: `http://127.0.0.1:${rx.address.grpc}` });
    assert.equal((await exportWith(grpcExporter, spans)).code, ExportResultCode.FAILED);
    await grpcExporter.shutdown();
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 0);
  });

  it('the real OTLP/HTTP protobuf exporter delivers with the Authorization header', async () => {
    const spans = sdkSpans(3, 'proto with token');
    const exporter = new ProtoExporter({ url: `${rx.httpUrl}/v1/traces`, headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal((await exportWith(exporter, spans)).code, ExportResultCode.SUCCESS);
    await exporter.shutdown();
    assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 3);
  });

  it('the real OTLP/HTTP exporter delivers with the token from OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const saved = process.env.OTEL_EXPORTER_OTLP_HEADERS;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=${encodeURIComponent(`Bearer ${TOKEN}`)}`;
    try {
      const spans = sdkSpans(2, 'proto env token');
      const exporter = new ProtoExporter({ url: `${rx.httpUrl}/v1/traces` });
      assert.equal((await exportWith(exporter, spans)).code, ExportResultCode.SUCCESS);
      await exporter.shutdown();
      assert.equal(rx.store.getTrace(spans[0]!.spanContext().traceId).length, 2);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      else process.env.OTEL_EXPORTER_OTLP_HEADERS = saved;
    }
  });

  it('the real OTLP/gRPC exporter delivers with the authorization metadata', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const spans = sdkSpans(2, 'grpc with token');
    const exporter = new GrpcExporter({ url: `http://127.0.0.1:${rx.address.grpc}`, metadata });
    assert.equal((await exportWith(exporter, spans)).code, ExportResultCode.SUCCESS);
    await exporter.shutdown();
    await eventually(() => (rx.store.getTrace(spans[0]!.spanContext().traceId).length === 2 ? true : undefined));
  });

  it('lost nothing stored before the refused requests', () => {
    assert.equal(rx.store.spanCount, before401 + 3 + 2 + 2);
  });
});

describe('a traced program and the token', () => {
  const APP = path.resolve(__dirname, '../fixtures/run-apps/exits');
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  /** Runs the app that calls process.exit() right after its call, so its span goes out through the exit-time export. */
  async function runTraced(rx: RunningReceiver, token: string | undefined): Promise<string> {
    const runId = `run-token-${token ? 'with' : 'without'}`;
    const base: NodeJS.ProcessEnv = { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-fake' };
    delete base.NODE_OPTIONS;
    const env = tracedEnvironment({ endpoint: rx.httpUrl, runId, serviceName: 'exits', preloadDir: path.resolve(__dirname, '../../dist/runtime/node'), base, token });
    const child = spawn(process.execPath, ['app.cjs'], { cwd: APP, env, stdio: 'ignore' });
    assert.equal(await new Promise((resolve) => child.on('close', resolve)), 3);
    return runId;
  }

  it('delivers with the token passed by tracedEnvironment, and not without it', async () => {
    const rx = await startReceiver({ token: 'run-secret' });
    try {
      const without = await runTraced(rx, undefined);
      assert.equal(rx.store.spanCount, 0, 'nothing stored without the token');
      assert.deepEqual(rx.store.listTraces(10, 0, without), []);
      assert.ok(rx.logs.some((l) => /refused a request \(401\)/.test(l)));
      const withToken = await runTraced(rx, 'run-secret');
      const [summary] = await eventually(() => {
        const traces = rx.store.listTraces(10, 0, withToken);
        return traces.length ? traces : undefined;
      });
      const spans = rx.store.getTrace(summary!.traceId);
      assert.ok(spans.some((s) => s.attributes['gen_ai.request.model'] === 'gpt-4o-mini'), 'the call made just before process.exit() arrived');
    } finally {
      await rx.stop();
    }
  });
});

describe('binding beyond loopback', () => {
  it('refuses to start on 0.0.0.0 without a token, saying what to set', async () => {
    await assert.rejects(startReceiver({ host: '0.0.0.0' }), (err: Error) => {
      assert.ok(err instanceof ReceiverAccessError);
      assert.match(err.message, /0\.0\.0\.0/);
      assert.match(err.message, /spanlens\.receiver\.token/);
      return true;
    });
  });

  it('starts on 0.0.0.0 with a token and then accepts the machine name in Host, the token guarding', async () => {
    const rx = await startReceiver({ host: '0.0.0.0', token: 'lan-secret' });
    try {
      const spans = sdkSpans(2, 'lan');
      const ok = await request(rx.address.http, { headers: { ...JSON_TYPE, host: `devbox.lan:${rx.address.http}`, authorization: 'Bearer lan-secret' }, body: jsonBody(spans) });
      assert.equal(ok.status, 200);
      const refused = await request(rx.address.http, { headers: { ...JSON_TYPE, host: `devbox.lan:${rx.address.http}` }, body: jsonBody(sdkSpans(1)) });
      assert.equal(refused.status, 401);
      assert.equal(rx.store.spanCount, 2);
    } finally {
      await rx.stop();
    }
  });

  it('spanlens serve --token guards the receiver it starts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-token-'));
    const db = path.join(dir, 'spans.db');
    const served = await serveCli(['--token', 'cli-secret', '--http-port', '0', '--grpc-port', '0', '--db', db]);
    try {
      const body = jsonBody(sdkSpans(1, 'cli'));
      assert.equal((await request(served.http, { headers: JSON_TYPE, body })).status, 401);
      assert.equal((await request(served.http, { headers: { ...JSON_TYPE, authorization: 'Bearer cli-secret' }, body })).status, 200);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spanlens serve --host 0.0.0.0 without a token exits with the fix in its message', () => {
    const db = path.join(tmpdir(), `spanlens-refused-${process.pid}.db`);
    const r = runCli(['serve', '--host', '0.0.0.0', '--db', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a token/);
    assert.match(r.stderr, /--token or SPANLENS_TOKEN/);
    assert.ok(!existsSync(db), 'no database is created for a receiver that cannot start');
  });
});
