// Sends one small LLM-app trace to the Spanlens receiver with the real OpenTelemetry SDK.
// Run from the repository (it uses the repository's devDependencies):
//   node examples/send-sample-trace.mjs            (uses OTEL_EXPORTER_OTLP_ENDPOINT or http://127.0.0.1:4318)
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'sample-llm-app' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
});
const tracer = provider.getTracer('spanlens-example', '0.1.0');

const root = tracer.startSpan('answer_question', { kind: SpanKind.SERVER });
const ctx = trace.setSpan(ROOT_CONTEXT, root);
const llm = tracer.startSpan('chat gpt-4o-mini', {
  kind: SpanKind.CLIENT,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 31,
    'gen_ai.usage.output_tokens': 12,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is OTLP?' }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'The OpenTelemetry Protocol.' }], finish_reason: 'stop' }]),
  },
}, ctx);
await new Promise((r) => setTimeout(r, 120));
llm.end();
const tool = tracer.startSpan('execute_tool search_docs', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search_docs' } }, ctx);
tool.setStatus({ code: SpanStatusCode.ERROR, message: 'index not found' });
tool.end();
root.end();
await provider.shutdown();
console.log(`sent trace ${root.spanContext().traceId} to ${endpoint}`);
