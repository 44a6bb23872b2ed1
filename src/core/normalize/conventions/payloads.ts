/**
 * Request and response bodies in the provider's own shape (OpenAI chat/embeddings, Anthropic
 * messages), as Logfire, MLflow, Langfuse and LangSmith record them whole.
 */
import type { Message } from '../../../shared/llm.js';
import { type Draft, fill, fillParam, fillUsage } from '../draft.js';
import { toMessage, toMessages } from '../messages.js';
import { isObject, isRedacted, json, num, str } from '../read.js';
import { toolName } from './genai.js';

type Obj = Record<string, unknown>;

/** Request keys that are not parameters: the model, content, tool definitions, transport options. */
export const NOT_PARAMS = new Set(['model', 'messages', 'input', 'prompt', 'system', 'tools', 'functions', 'stream_options', 'extra_headers', 'extra_query', 'extra_body', 'timeout']);

/** OpenAI/Anthropic response bodies: `choices[].message`, or `content` blocks, or a bare message. */
export function responseMessages(v: unknown): { output: Message[]; finish: string[] } | undefined {
  const r = json(v);
  if (!isObject(r)) return typeof r === 'string' && r !== '' && !isRedacted(r) ? { output: [toMessage(r, 'assistant')], finish: [] } : undefined;
  if (Array.isArray(r.choices)) {
    const choices = r.choices.filter(isObject);
    return {
      output: choices.map((c) => toMessage(c.message ?? c.delta ?? { content: c.text }, 'assistant')),
      finish: choices.map((c) => str(c.finish_reason)).filter((x): x is string => !!x),
    };
  }
  if (isObject(r.message)) return { output: [toMessage(r.message, 'assistant')], finish: str(r.finish_reason) ? [str(r.finish_reason)!] : [] };
  if (Array.isArray(r.content) || r.role !== undefined) return { output: [toMessage(r, 'assistant')], finish: str(r.stop_reason) ? [str(r.stop_reason)!] : [] };
  if (typeof r.combined_chunk_content === 'string') return { output: [toMessage(r.combined_chunk_content, 'assistant')], finish: [] };
  return undefined;
}

/** OpenAI (`prompt_tokens`, `*_tokens_details`) or Anthropic (`input_tokens`, `cache_*_input_tokens`) usage. */
export function usageFrom(d: Draft, u: unknown): void {
  const usage = json(u);
  if (!isObject(usage)) return;
  fillUsage(d, 'inputTokens', num(usage.prompt_tokens ?? usage.input_tokens ?? usage.promptTokens));
  fillUsage(d, 'outputTokens', num(usage.completion_tokens ?? usage.output_tokens ?? usage.completionTokens));
  fillUsage(d, 'totalTokens', num(usage.total_tokens ?? usage.totalTokens));
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const completionDetails = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  fillUsage(d, 'cacheReadTokens', num(usage.cache_read_input_tokens ?? promptDetails.cached_tokens));
  fillUsage(d, 'cacheWriteTokens', num(usage.cache_creation_input_tokens));
  fillUsage(d, 'reasoningTokens', num(completionDetails.reasoning_tokens));
}

/** A request body (OpenAI-shaped): parameters, tools and, with content, the messages. */
export function requestFrom(d: Draft, body: Obj, withContent: boolean): void {
  fill(d, 'requestModel', str(body.model));
  for (const k in body) if (!NOT_PARAMS.has(k)) fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, body[k]);
  if (!withContent) return;
  if (Array.isArray(body.tools)) fill(d, 'tools', body.tools.map(toolName).filter((n): n is string => !!n));
  if (typeof body.system === 'string') fill(d, 'system', body.system);
  fill(d, 'input', toMessages(body.messages ?? body.input ?? body.prompt));
}
