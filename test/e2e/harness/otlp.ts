// Sends spans to the receiver the way a user's program does: the real OpenTelemetry SDK and
// its OTLP/HTTP protobuf exporter, over loopback.
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
