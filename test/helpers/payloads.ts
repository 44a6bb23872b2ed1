/** Real OTLP request bodies, made by the OpenTelemetry SDK and its own serializers. */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Finished SDK spans: `count` spans in one trace under a root, named `${prefix} N`. */
export function sdkSpans(count: number, prefix = 'span'): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'payload-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('payloads');
  const root = tracer.startSpan(`${prefix} root`);
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 1; i < count; i++) tracer.startSpan(`${prefix} ${i}`, { attributes: { i, text: `value ${i}` } }, ctx).end();
  root.end();
  return exporter.getFinishedSpans();
}

export function protobufBody(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
}

export function jsonBody(spans: ReadableSpan[]): Buffer {
  return Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
}
