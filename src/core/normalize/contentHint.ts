/**
 * When an LLM span carries no prompt or response, say why and how to switch capture on for the
 * instrumentation that wrote it: the most common confusion with trace viewers.
 */
import type { Span } from '../model.js';
import { hasPrefix, isRedacted } from './read.js';

const NOT_RECORDED = 'Prompts and responses were not recorded.';

export function contentHint(span: Span): string {
  const a = span.attributes;
  const scope = span.scope.name.toLowerCase();
  if ('openinference.span.kind' in a) {
    return `${NOT_RECORDED} OpenInference replaced them with __REDACTED__ because OPENINFERENCE_HIDE_INPUTS, OPENINFERENCE_HIDE_OUTPUTS, OPENINFERENCE_HIDE_INPUT_MESSAGES or OPENINFERENCE_HIDE_OUTPUT_MESSAGES is true, or the instrumentation's traceConfig sets hideInputs / hideOutputs: unset them.`;
  }
  if ('ai.operationId' in a || span.name.startsWith('ai.')) {
    return `${NOT_RECORDED} The Vercel AI SDK records them when experimental_telemetry has isEnabled: true and recordInputs / recordOutputs are not false.`;
  }
  if (hasPrefix(a, 'langfuse.')) {
    if (isRedacted(a['langfuse.observation.input']) || isRedacted(a['langfuse.observation.output'])) {
      return `${NOT_RECORDED} Langfuse replaced them with [REDACTED]: the mask function given to LangfuseSpanProcessor (or the Langfuse client) hides them.`;
    }
    return `${NOT_RECORDED} With Langfuse, pass input and output to the observation (startObservation(name, { input }) and .update({ output })).`;
  }
  if (scope.includes('traceloop') || 'llm.request.type' in a || hasPrefix(a, 'traceloop.')) {
    return `${NOT_RECORDED} OpenLLMetry (Traceloop) records them unless TRACELOOP_TRACE_CONTENT=false: set TRACELOOP_TRACE_CONTENT=true, or traceContent: true in Traceloop.initialize() or the instrumentation's config.`;
  }
  if ('request_data' in a || scope.includes('logfire')) {
    return `${NOT_RECORDED} Logfire records request_data and response_data for instrumented clients; check that scrubbing or a custom span filter does not remove them.`;
  }
  if (hasPrefix(a, 'mlflow.')) return `${NOT_RECORDED} MLflow records mlflow.spanInputs and mlflow.spanOutputs when autologging is on (mlflow.openai.autolog()).`;
  return `${NOT_RECORDED} OpenTelemetry GenAI instrumentations record message content only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (newer ones also with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental). Some send it as log events: export logs to Spanlens too (OTEL_LOGS_EXPORTER=otlp).`;
}
