/**
 * Langfuse (JS/Python SDK v3+, `@langfuse/openai`): `langfuse.observation.*` with the input and
 * output as JSON text, one model name, usage in Langfuse's own keys, and errors as `level`.
 */
import type { SpanCategory } from '../../../shared/llm.js';
import { type Draft, type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { toMessages } from '../messages.js';
import { isObject, isRedacted, json, num, str, text } from '../read.js';
import { toolName } from './genai.js';
import { requestFrom, responseMessages } from './payloads.js';

const KINDS: Record<string, SpanCategory> = {
  generation: 'llm', embedding: 'embedding', tool: 'tool', agent: 'agent', chain: 'chain',
  retriever: 'retriever', evaluator: 'evaluator', guardrail: 'guardrail',
  // A `span` observation is a step of the app with its own input and output, like a chain.
  span: 'chain', event: 'other',
};

// A dated snapshot is what a provider answers with (`gpt-4o-mini-2024-07-18`).
const SNAPSHOT = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/;

export const readLangfuse: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const type = str(a['langfuse.observation.type'])?.toLowerCase();
  if (type === undefined) return;
  const model = str(a['langfuse.observation.model.name']);
  // @langfuse/openai records embeddings as generations too.
  const isEmbedding = type === 'generation' && (/embed/i.test(span.name) || (model !== undefined && /embed/i.test(model)));
  fill(d, 'kind', isEmbedding ? 'embedding' : KINDS[type] ?? 'other');
  fill(d, 'convention', 'langfuse');
  // Langfuse has one model name: the app's (usually the request's), or with @langfuse/openai the
  // response's when there is one. A dated snapshot is taken for the response model, anything
  // else for the request model; the other one stays unknown rather than guessed.
  if (model) fill(d, SNAPSHOT.test(model) ? 'responseModel' : 'requestModel', model);
  const params = json(a['langfuse.observation.model.parameters']);
  if (isObject(params)) for (const [k, v] of Object.entries(params)) fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, v);
  langfuseUsage(d, a['langfuse.observation.usage_details']);
  // A JSON-quoted ISO time: `"\"2026-01-01T00:00:00.060Z\""`.
  const started = str(json(a['langfuse.observation.completion_start_time']));
  if (started) {
    const ms = Date.parse(started) - Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
    if (Number.isFinite(ms) && ms >= 0) fill(d, 'ttftMs', ms);
  }
  if (str(a['langfuse.observation.level']) === 'ERROR') fill(d, 'error', str(a['langfuse.observation.status_message']) ?? 'error');

  const input = a['langfuse.observation.input'];
  const output = a['langfuse.observation.output'];
  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= span.name;
    d.tool.callId ??= str(a['langfuse.observation.metadata.toolCallId'] ?? a['langfuse.observation.metadata.tool_call_id']);
    if (withContent) {
      if (input !== undefined && !isRedacted(input)) d.tool.arguments ??= text(json(input));
      if (output !== undefined && !isRedacted(output)) d.tool.result ??= text(json(output));
    }
  }
  if (!withContent || (d.kind !== 'llm' && d.kind !== 'embedding')) return;
  readInput(d, json(input));
  if (d.kind === 'embedding') return; // the output is the vector
  const out = responseMessages(output);
  if (out) {
    fill(d, 'output', out.output);
    fill(d, 'finishReasons', out.finish);
  }
};

/** A message list, `{ messages, tools }`, a request body, or any other value shown as the prompt. */
function readInput(d: Draft, input: unknown): void {
  if (input === undefined || input === null || input === '' || isRedacted(input)) return;
  if (isObject(input) && Array.isArray(input.messages)) {
    fill(d, 'input', toMessages(input.messages));
    if (Array.isArray(input.tools)) fill(d, 'tools', input.tools.map(toolName).filter((n): n is string => !!n));
    return;
  }
  if (isObject(input) && input.role === undefined) {
    requestFrom(d, input, true);
    if (d.input === undefined) fill(d, 'input', [{ role: 'user', content: text(input), toolCalls: [], toolCallId: null }]);
    return;
  }
  fill(d, 'input', toMessages(input));
}

/**
 * Langfuse counts every usage key apart and prices each: `input` then excludes
 * `input_cached_tokens` and `output` excludes `output_reasoning_tokens`, with `total` their sum
 * (what @langfuse/openai writes). Apps that pass OpenAI's inclusive counts have a total of
 * input + output: those are kept as they are.
 */
function langfuseUsage(d: Draft, v: unknown): void {
  const u = json(v);
  if (!isObject(u)) return;
  const input = num(u.input ?? u.prompt_tokens ?? u.input_tokens);
  const output = num(u.output ?? u.completion_tokens ?? u.output_tokens);
  const total = num(u.total ?? u.total_tokens);
  let inputSide = 0;
  let outputSide = 0;
  let all = 0;
  for (const [key, raw] of Object.entries(u)) {
    const n = num(raw);
    if (n === undefined || key === 'total' || key === 'total_tokens') continue;
    all += n;
    if (/input|prompt|cache/.test(key)) inputSide += n;
    else if (/output|completion|reasoning/.test(key)) outputSide += n;
  }
  const plain = (input ?? 0) + (output ?? 0);
  const exclusive = all > plain && (total === undefined || total === all);
  fillUsage(d, 'inputTokens', exclusive ? inputSide : input);
  fillUsage(d, 'outputTokens', exclusive ? outputSide : output);
  fillUsage(d, 'totalTokens', total);
  fillUsage(d, 'cacheReadTokens', num(u.input_cached_tokens ?? u.cache_read_input_tokens ?? u.input_cache_read));
  fillUsage(d, 'cacheWriteTokens', num(u.cache_creation_input_tokens ?? u.input_cache_creation ?? u.input_cache_write));
  fillUsage(d, 'reasoningTokens', num(u.output_reasoning_tokens ?? u.reasoning_tokens ?? u.output_reasoning));
}
