/**
 * The real OpenTelemetry exporters (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC, and the
 * logs exporters) send to the real receiver; every field must arrive exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as LogsHttpExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Span } from '../../src/core/model.js';
import { type RunningReceiver, eventually, startReceiver } from '../helpers/receiver.js';

const RESOURCE = { 'service.name': 'checkout', 'service.version': '2.0.1', 'host.cores': 8, 'deployment.blue': true };

interface Sent {
  traceId: string;
  rootId: string;
  childId: string;
  linkedId: string;
  linkedTraceId: string;
}

/** Makes one trace: a root, a child with attributes of every type, events, a link and an error. */
function makeTrace(tracer: Tracer): Sent {
  const linked = tracer.startSpan('linked', { startTime: [1700000000, 5] });
  linked.end([1700000000, 6]);
  const root = tracer.startSpan('POST /chat', { kind: SpanKind.SERVER, startTime: [1700000000, 123456789], attributes: { 'http.method': 'POST' } });
  const child = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      startTime: [1700000000, 223456789],
      attributes: {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.25,
        'gen_ai.usage.input_tokens': 43,
        'gen_ai.usage.negative': -7,
        'gen_ai.stream': false,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'llm.ints': [1, 2, 3],
        'llm.doubles': [0.5, 1.5],
        'llm.bools': [true, false],
        'text.unicode': 'héllo → 世界 🎉',
        'text.empty': '',
      },
      links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'retry-of' } }],
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'Say hi' }, [1700000000, 300000001]);
  child.addEvent('first_token', [1700000000, 400000002]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  child.end([1700000001, 987654321]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([1700000002, 0]);
  return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, childId: child.spanContext().spanId, linkedId: linked.spanContext().spanId, linkedTraceId: linked.spanContext().traceId };
}

async function sendWith(exporter: SpanExporter): Promise<Sent> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes(RESOURCE), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const sent = makeTrace(provider.getTracer('spanlens-test', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }));
  await provider.forceFlush();
  await provider.shutdown();
  return sent;
}

function assertTrace(spans: Span[], sent: Sent): void {
  const root = spans.find((s) => s.spanId === sent.rootId);
  const child = spans.find((s) => s.spanId === sent.childId);
  assert.ok(root && child, 'root and child stored');
  assert.equal(root.traceId, sent.traceId);
  assert.equal(root.parentSpanId, '');
  assert.equal(root.kind, 2);
  assert.equal(root.startTimeUnixNano, '1700000000123456789');
  assert.equal(root.endTimeUnixNano, '1700000002000000000');
  assert.deepEqual(root.status, { code: 'ok', message: '' });
  assert.deepEqual(root.attributes, { 'http.method': 'POST' });

  assert.equal(child.parentSpanId, sent.rootId);
  assert.equal(child.name, 'chat gpt-4o-mini');
  assert.equal(child.kind, 3);
  assert.equal(child.startTimeUnixNano, '1700000000223456789');
  assert.equal(child.endTimeUnixNano, '1700000001987654321');
  assert.deepEqual(child.attributes, {
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.request.temperature': 0.25,
    'gen_ai.usage.input_tokens': 43,
    'gen_ai.usage.negative': -7,
    'gen_ai.stream': false,
    'gen_ai.response.finish_reasons': ['stop', 'length'],
    'llm.ints': [1, 2, 3],
    'llm.doubles': [0.5, 1.5],
    'llm.bools': [true, false],
    'text.unicode': 'héllo → 世界 🎉',
    'text.empty': '',
  });
  assert.deepEqual(child.events, [
    { timeUnixNano: '1700000000300000001', name: 'gen_ai.content.prompt', attributes: { 'gen_ai.prompt': 'Say hi' }, droppedAttributesCount: 0 },
    { timeUnixNano: '1700000000400000002', name: 'first_token', attributes: {}, droppedAttributesCount: 0 },
  ]);
  assert.equal(child.links.length, 1);
  assert.equal(child.links[0]!.traceId, sent.linkedTraceId);
  assert.equal(child.links[0]!.spanId, sent.linkedId);
  assert.deepEqual(child.links[0]!.attributes, { 'link.reason': 'retry-of' });
  assert.equal(child.links[0]!.flags & 1, 1, 'link keeps the sampled flag');
  assert.deepEqual(child.status, { code: 'error', message: 'rate limited' });
  assert.equal(child.flags & 1, 1);
  for (const s of [root, child]) {
    assert.deepEqual(s.resource.attributes, RESOURCE);
    assert.equal(s.scope.name, 'spanlens-test');
    assert.equal(s.scope.version, '1.2.3');
    assert.equal(s.scope.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
  }
}

describe('real OTLP trace exporters → receiver → store', () => {
  let rx: RunningReceiver;
  before(async () => {
    rx = await startReceiver();
  });
  after(() => rx.stop());

  const cases: [string, () => SpanExporter][] = [
    ['OTLP/HTTP protobuf', () => new ProtoExporter({ url: `${rx.httpUrl}/v1/traces` })],
    ['OTLP/HTTP protobuf, gzip', () => new ProtoExporter({ url: `${rx.httpUrl}/v1/traces`, compression: 'gzip' as never })],
    ['OTLP/HTTP JSON', () => new HttpJsonExporter({ url: `${rx.httpUrl}/v1/traces` })],
    ['OTLP/HTTP JSON, gzip', () => new HttpJsonExporter({ url: `${rx.httpUrl}/v1/traces`, compression: 'gzip' as never })],
    ['OTLP/gRPC', () => new GrpcExporter({ url: `http://127.0.0.1:${rx.address.grpc}` })],
    ['OTLP/gRPC, gzip', () => new GrpcExporter({ url: `http://127.0.0.1:${rx.address.grpc}`, compression: 'gzip' as never })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: every field arrives exactly`, async () => {
      const sent = await sendWith(make());
      const spans = await eventually(() => {
        const s = rx.store.getTrace(sent.traceId);
        return s.length === 2 ? s : undefined;
      });
      assertTrace(spans, sent);
      const linked = await eventually(() => rx.store.getTrace(sent.linkedTraceId)[0]);
      assert.equal(linked.spanId, sent.linkedId);
      assert.equal(linked.startTimeUnixNano, '1700000000000000005');
      const summary = rx.store.listTraces().find((t) => t.traceId === sent.traceId);
      assert.deepEqual(summary && { name: summary.name, service: summary.service, spanCount: summary.spanCount, errorCount: summary.errorCount, start: summary.startTimeUnixNano }, {
        name: 'POST /chat', service: 'checkout', spanCount: 2, errorCount: 1, start: '1700000000123456789',
      });
      assert.equal(summary!.durationMs, 1876.543211);
    });
  }
});

describe('real OTLP log exporters → receiver → store', () => {
  let rx: RunningReceiver;
  before(async () => {
    rx = await startReceiver();
  });
  after(() => rx.stop());

  const cases: [string, () => LogRecordExporter][] = [
    ['OTLP/HTTP protobuf', () => new LogsProtoExporter({ url: `${rx.httpUrl}/v1/logs` })],
    ['OTLP/HTTP JSON', () => new LogsHttpExporter({ url: `${rx.httpUrl}/v1/logs` })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: log records keep their body and are joined to their span`, async () => {
      const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), processors: [new SimpleLogRecordProcessor({ exporter: make() })] });
      const tracerProvider = new BasicTracerProvider();
      const span = tracerProvider.getTracer('t').startSpan('chat');
      const ctx = trace.setSpan(ROOT_CONTEXT, span);
      const logger = provider.getLogger('genai-events', '0.1.0');
      logger.emit({
        context: ctx,
        eventName: 'gen_ai.user.message',
        timestamp: [1700000000, 42],
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        body: { role: 'user', content: 'What is OTLP?', parts: [{ type: 'text', n: 2 }], raw: new Uint8Array([1, 2, 255]) },
        attributes: { 'gen_ai.system': 'openai', 'count': 3 },
      });
      await provider.forceFlush();
      await provider.shutdown();
      span.end();
      const { traceId, spanId } = span.spanContext();
      const logs = await eventually(() => {
        const l = rx.store.logsForTrace(traceId);
        return l.length ? l : undefined;
      });
      assert.equal(logs.length, 1);
      const [log] = logs;
      assert.equal(log!.spanId, spanId);
      assert.equal(log!.timeUnixNano, '1700000000000000042');
      assert.equal(log!.severityNumber, 9);
      assert.equal(log!.severityText, 'INFO');
      assert.equal(log!.eventName, 'gen_ai.user.message');
      assert.deepEqual(log!.body, { role: 'user', content: 'What is OTLP?', parts: [{ type: 'text', n: 2 }], raw: Buffer.from([1, 2, 255]).toString('base64') });
      assert.deepEqual(log!.attributes, { 'gen_ai.system': 'openai', count: 3 });
      assert.equal(log!.scope.name, 'genai-events');
      assert.equal(log!.resource.attributes['service.name'], 'checkout');
    });
  }
});
