/**
 * OpenTelemetry GenAI semantic conventions: the current attributes (`gen_ai.input.messages`,
 * `gen_ai.system_instructions`, parts), the common request/response/usage attributes every
 * other convention also writes, and the older message events (span events or log records).
 */
import type { AttrValue } from '../../model.js';
import type { Message } from '../../../shared/llm.js';
import { type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { toMessage, toMessages, systemText } from '../messages.js';
import { first, isObject, json, num, str, stringList, text } from '../read.js';

const OPERATION_KIND = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  completion: 'llm',
  embeddings: 'embedding',
  embedding: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'chain',
  retrieval: 'retriever',
  rerank: 'reranker',
} as const;

const PARAMS: [string, string][] = [
  ['gen_ai.request.temperature', 'temperature'],
  ['gen_ai.request.top_p', 'top_p'],
  ['gen_ai.request.top_k', 'top_k'],
  ['gen_ai.request.max_tokens', 'max_tokens'],
  ['gen_ai.request.max_output_tokens', 'max_tokens'],
  ['gen_ai.request.stop_sequences', 'stop'],
  ['gen_ai.request.seed', 'seed'],
  ['gen_ai.request.frequency_penalty', 'frequency_penalty'],
  ['gen_ai.request.presence_penalty', 'presence_penalty'],
  ['gen_ai.request.choice.count', 'n'],
  ['gen_ai.request.encoding_formats', 'encoding_formats'],
  ['gen_ai.output.type', 'output_type'],
  ['gen_ai.openai.request.response_format', 'response_format'],
  ['gen_ai.openai.request.service_tier', 'service_tier'],
];

export const readGenAi: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const op = str(a['gen_ai.operation.name']);
  if (op && op in OPERATION_KIND) fill(d, 'kind', OPERATION_KIND[op as keyof typeof OPERATION_KIND]);

  fill(d, 'provider', str(first(a, 'gen_ai.provider.name', 'gen_ai.system')));
  fill(d, 'requestModel', str(a['gen_ai.request.model']));
  fill(d, 'responseModel', str(a['gen_ai.response.model']));
  for (const [key, name] of PARAMS) fillParam(d, name, a[key]);
  fill(d, 'finishReasons', stringList(a['gen_ai.response.finish_reasons']));

  fillUsage(d, 'inputTokens', num(first(a, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')));
  fillUsage(d, 'outputTokens', num(first(a, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')));
  fillUsage(d, 'totalTokens', num(first(a, 'gen_ai.usage.total_tokens', 'llm.usage.total_tokens')));
  fillUsage(d, 'cacheReadTokens', num(first(a, 'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'gen_ai.usage.cached_tokens')));
  fillUsage(d, 'cacheWriteTokens', num(first(a, 'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens')));
  fillUsage(d, 'reasoningTokens', num(first(a, 'gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens')));

  if (d.kind === 'tool' || a['gen_ai.tool.name'] !== undefined) {
    d.tool ??= {};
    d.tool.name ??= str(a['gen_ai.tool.name']);
    d.tool.callId ??= str(a['gen_ai.tool.call.id']);
    if (withContent) {
      d.tool.arguments ??= optionalText(a['gen_ai.tool.call.arguments']);
      d.tool.result ??= optionalText(a['gen_ai.tool.call.result']);
    }
  }

  const input = a['gen_ai.input.messages'];
  const output = a['gen_ai.output.messages'];
  const instructions = a['gen_ai.system_instructions'];
  if (input !== undefined || output !== undefined || instructions !== undefined) fill(d, 'convention', 'gen_ai');
  if (!withContent) return;
  const definitions = json(a['gen_ai.tool.definitions']);
  if (Array.isArray(definitions)) fill(d, 'tools', definitions.map(toolName).filter((n): n is string => !!n));
  fill(d, 'system', systemText(instructions));
  fill(d, 'input', toMessages(input));
  const outputs = json(output);
  if (Array.isArray(outputs)) {
    fill(d, 'output', outputs.map((m) => toMessage(m, 'assistant')));
    fill(d, 'finishReasons', outputs.map((m) => (isObject(m) ? str(m.finish_reason) : undefined)).filter((r): r is string => !!r));
  } else {
    fill(d, 'output', toMessages(outputs, 'assistant'));
  }
};

function optionalText(v: AttrValue | undefined): string | undefined {
  return v === undefined || v === null ? undefined : text(json(v));
}

export function toolName(def: unknown): string | undefined {
  const v = json(def);
  if (!isObject(v)) return typeof v === 'string' ? v : undefined;
  const fn = isObject(v.function) ? v.function : v;
  return str(fn.name);
}

const EVENT_ROLE: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/**
 * The older GenAI message events. Their body is a map; as span events the same fields are
 * event attributes (some instrumentations put the body as JSON in `gen_ai.event.content`).
 */
export const readGenAiEvents: Reader = ({ span, logs, withContent }, d) => {
  if (!withContent) return;
  const items: { name: string; body: Record<string, unknown> }[] = [];
  for (const e of span.events) {
    if (!e.name.startsWith('gen_ai.')) continue;
    const packed = json(e.attributes['gen_ai.event.content']);
    items.push({ name: e.name, body: isObject(packed) ? packed : e.attributes });
  }
  for (const l of logs) {
    const name = l.eventName || str(l.attributes['event.name']) || '';
    if (!name.startsWith('gen_ai.')) continue;
    items.push({ name, body: isObject(l.body) ? l.body : { content: l.body } });
  }
  if (items.length === 0) return;
  const input: Message[] = [];
  const output: Message[] = [];
  const finish: string[] = [];
  for (const { name, body } of items) {
    const role = EVENT_ROLE[name];
    if (role) keep(input, toMessage({ ...body, role: str(body.role) ?? role }, role));
    else if (name === 'gen_ai.choice') {
      const parsed = json(body.message);
      const message = isObject(parsed) ? parsed : body;
      keep(output, toMessage({ role: 'assistant', ...message }, 'assistant'));
      const reason = str(body.finish_reason);
      if (reason) finish.push(reason);
    }
  }
  if (items.length) fill(d, 'convention', 'gen_ai.events');
  fill(d, 'input', input);
  fill(d, 'output', output);
  fill(d, 'finishReasons', finish);
};

/**
 * Without content capture the events still arrive, with no body (or a choice holding only its
 * role): such a record is not a message, so the call shows as content-missing with its hint.
 */
function keep(into: Message[], m: Message): void {
  if (m.content !== '' || m.toolCalls.length > 0 || m.toolCallId !== null) into.push(m);
}
