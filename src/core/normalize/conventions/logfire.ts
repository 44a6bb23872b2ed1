/**
 * Logfire's client integrations (`logfire.instrument_openai()` / `_anthropic()`, 3.x): the
 * request and response bodies as `request_data` / `response_data` JSON, the span name a message
 * template, and (for a stream) a zero-length log span that holds the streamed response.
 */
import { type Reader, fill } from '../draft.js';
import { isObject, json, lastField, num, str } from '../read.js';
import { requestFrom, responseMessages, usageFrom } from './payloads.js';

const PROVIDERS = new Set(['openai', 'anthropic']);

export const readLogfire: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const request = a['request_data'];
  if (request === undefined || request === null) return;
  const scope = span.scope.name;
  if (!scope.startsWith('logfire') && a['gen_ai.request.model'] === undefined) return;
  const template = str(a['logfire.msg_template']) ?? span.name;
  fill(d, 'kind', template.startsWith('Embedding') ? 'embedding' : 'llm');
  fill(d, 'convention', 'logfire');
  // The stream's request span has no gen_ai.system; the integration's scope names the provider.
  const integration = scope.slice(scope.indexOf('.') + 1);
  if (scope.startsWith('logfire.') && PROVIDERS.has(integration)) fill(d, 'provider', integration);
  fill(d, 'requestModel', str(lastField(request, 'model')));
  // Usage sits after the message in response_data: read without parsing the answer.
  const response = a['response_data'];
  usageFrom(d, typeof response === 'string' ? lastField(response, 'usage') : isObject(response) ? response.usage : undefined);
  // "streaming response from … took {duration:.2f}s": a log at the end of the stream, duration in seconds.
  const seconds = num(a['duration']);
  if (a['logfire.span_type'] === 'log' && seconds !== undefined) fill(d, 'latencyMs', Math.round(seconds * 1e6) / 1e3);

  if (!withContent) return;
  const body = json(request);
  if (isObject(body)) requestFrom(d, body, true);
  const out = d.kind === 'llm' ? responseMessages(response) : undefined;
  if (out) {
    fill(d, 'output', out.output);
    fill(d, 'finishReasons', out.finish);
  }
};
