// Sends spans to the receiver the way a user's program does: the real OpenTelemetry SDK and
// its OTLP/HTTP protobuf exporter, over loopback.
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

type ExportCallback = Parameters<SpanExporter['export']>[1];

/** ExportResultCode.SUCCESS in @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

/** Passes spans to the real exporter and remembers failures, which the SDK would only log. */
class FailureRecordingExporter implements SpanExporter {
  readonly failures: string[] = [];

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    this.inner.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCESS) this.failures.push(String(result.error ?? 'export failed'));
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Ends one span per name and exports them to http://127.0.0.1:<port>/v1/traces; rejects if an export failed. */
export async function sendSpans(port: number, names: readonly string[]): Promise<void> {
  const exporter = new FailureRecordingExporter(
    new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 5_000 }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'spanlens-e2e' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('spanlens-e2e');
  for (const name of names) tracer.startSpan(name).end();
  await provider.forceFlush();
  await provider.shutdown();
  if (exporter.failures.length > 0) throw new Error(`OTLP export to port ${port} failed: ${exporter.failures.join('; ')}`);
}

/**
 * Sends one small agent trace, as an instrumented app would (real SDK and exporter): an agent
 * span, an LLM call with GenAI messages and usage, and the tool call it asked for; with `code`,
 * the LLM call says which line made it (OpenTelemetry `code.*` attributes). Returns the trace id.
 */
export async function sendAgentTrace(port: number, code?: { file: string; line: number; function: string }): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'spanlens-e2e-agent' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 5_000 }))],
  });
  const tracer = provider.getTracer('spanlens-e2e');
  const t0 = Date.now() - 2_000;
  const root = tracer.startSpan('invoke_agent weather', { startTime: t0, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather' } });
  const ctx = trace.setSpan(context.active(), root);
  tracer
    .startSpan(
      'chat gpt-4o-mini',
      {
        startTime: t0 + 50,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 31,
          'gen_ai.usage.output_tokens': 12,
          ...(code ? { 'code.file.path': code.file, 'code.line.number': code.line, 'code.function.name': code.function } : {}),
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is the weather in Paris?' }] }]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }], finish_reason: 'tool_calls' },
          ]),
        },
      },
      ctx,
    )
    .end(t0 + 900);
  tracer.startSpan('execute_tool get_weather', { startTime: t0 + 950, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': 'call_1' } }, ctx).end(t0 + 1_100);
  root.end(t0 + 1_200);
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}
