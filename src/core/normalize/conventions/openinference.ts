/**
 * OpenInference (Arize Phoenix): `openinference.span.kind`, indexed `llm.input_messages` /
 * `llm.output_messages` with `contents` and tool calls, `input.value` / `output.value`,
 * `llm.invocation_parameters`, `llm.token_count.*`, `llm.tools`, `embedding.*`,
 * `retrieval.documents.*`, `tool.*`.
 */
import type { AttrValue } from '../../model.js';
import type { Message, SpanCategory, ToolCall } from '../../../shared/llm.js';
import { type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { toolName } from './genai.js';
import { indexed, isObject, json, num, str, text } from '../read.js';

const KIND: Record<string, SpanCategory> = {
  LLM: 'llm',
  EMBEDDING: 'embedding',
  CHAIN: 'chain',
  TOOL: 'tool',
  AGENT: 'agent',
  RETRIEVER: 'retriever',
  RERANKER: 'reranker',
  GUARDRAIL: 'guardrail',
  EVALUATOR: 'evaluator',
  PROMPT: 'chain',
  UNKNOWN: 'other',
};

function group(fields: Record<string, AttrValue>, prefix: string): Record<string, AttrValue>[] {
  return indexed(fields as Record<string, AttrValue>, prefix);
}

function message(f: Record<string, AttrValue>, defaultRole: string): Message {
  const calls: ToolCall[] = group(f, 'message.tool_calls').map((c) => ({
    id: str(c['tool_call.id']) ?? null,
    name: str(c['tool_call.function.name']) ?? '',
    arguments: text(c['tool_call.function.arguments'] ?? '{}'),
  }));
  let content = str(f['message.content']) ?? '';
  if (!content) {
    content = group(f, 'message.contents')
      .map((p) => {
        const type = str(p['message_content.type']) ?? 'text';
        if (type === 'text') return text(p['message_content.text']);
        return `[${type}]`;
      })
      .join('\n');
  }
  return {
    role: str(f['message.role']) ?? defaultRole,
    content,
    toolCalls: calls.filter((c) => c.name),
    toolCallId: str(f['message.tool_call_id']) ?? null,
  };
}

export const readOpenInference: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const kind = str(a['openinference.span.kind']);
  if (kind === undefined) return;
  fill(d, 'kind', KIND[kind.toUpperCase()] ?? 'other');
  fill(d, 'provider', str(a['llm.provider'] ?? a['llm.system']));
  fill(d, 'requestModel', str(a['llm.model_name'] ?? a['embedding.model_name']));
  fillUsage(d, 'inputTokens', num(a['llm.token_count.prompt']));
  fillUsage(d, 'outputTokens', num(a['llm.token_count.completion']));
  fillUsage(d, 'totalTokens', num(a['llm.token_count.total']));
  fillUsage(d, 'cacheReadTokens', num(a['llm.token_count.prompt_details.cache_read']));
  fillUsage(d, 'cacheWriteTokens', num(a['llm.token_count.prompt_details.cache_write']));
  fillUsage(d, 'reasoningTokens', num(a['llm.token_count.completion_details.reasoning']));
  const params = json(a['llm.invocation_parameters']);
  if (isObject(params)) {
    for (const [k, v] of Object.entries(params)) {
      if (k === 'model' || k === 'messages' || k === 'tools' || k === 'input') continue;
      fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, v);
    }
  }
  const tools = indexed(a, 'llm.tools').map((t) => toolName(t['tool.json_schema']));
  fill(d, 'tools', tools.filter((n): n is string => !!n));

  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= str(a['tool.name']) ?? span.name;
    d.tool.callId ??= str(a['tool_call.id']);
    d.tool.arguments ??= str(a['tool.parameters'] ?? a['input.value']);
    d.tool.result ??= str(a['output.value']);
  }

  if (!withContent) return;
  const input = indexed(a, 'llm.input_messages').map((f) => message(f, 'user'));
  const output = indexed(a, 'llm.output_messages').map((f) => message(f, 'assistant'));
  if (input.length || output.length) fill(d, 'convention', 'openinference');
  fill(d, 'input', input);
  fill(d, 'output', output);
  if (d.kind === 'embedding') {
    const texts = indexed(a, 'embedding.embeddings').map((e) => text(e['embedding.text']));
    fill(d, 'input', texts.filter(Boolean).map((t) => ({ role: 'input', content: t, toolCalls: [], toolCallId: null })));
  }
};
