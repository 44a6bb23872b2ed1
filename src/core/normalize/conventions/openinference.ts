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
import { NOT_PARAMS } from './payloads.js';
import { indexed, isObject, isRedacted, json, num, str, text } from '../read.js';

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
  if (isRedacted(content)) content = '';
  if (!content) {
    content = group(f, 'message.contents')
      .map((p) => {
        const type = str(p['message_content.type']) ?? 'text';
        if (type === 'text') return isRedacted(p['message_content.text']) ? '' : text(p['message_content.text']);
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
  fill(d, 'convention', 'openinference');
  fill(d, 'provider', str(a['llm.provider'] ?? a['llm.system']));
  // Invocation parameters hold no messages (OpenInference keeps those in input.value), so they
  // are read at ingest too: they carry the request model.
  const params = json(a['llm.invocation_parameters']);
  const invoked = isObject(params) ? str(params.model) : undefined;
  // `llm.model_name` is whatever model the instrumentation saw last: the response's model when
  // the response says one (OpenAI JS: `gpt-4o-mini-2024-07-18`), the request's otherwise
  // (streams). The request model comes from the invocation parameters; the name counts as the
  // response model only when it differs from the request, else the response model is unknown.
  const named = str(a['llm.model_name']);
  fill(d, 'requestModel', str(a['llm.request.model_name']) ?? invoked ?? named ?? str(a['embedding.model_name']));
  fill(d, 'responseModel', str(a['llm.response.model_name']) ?? (named !== undefined && invoked !== undefined && named !== invoked ? named : undefined));
  const finish = str(a['llm.finish_reason']);
  if (finish) fill(d, 'finishReasons', [finish]);
  fillUsage(d, 'inputTokens', num(a['llm.token_count.prompt']));
  fillUsage(d, 'outputTokens', num(a['llm.token_count.completion']));
  fillUsage(d, 'totalTokens', num(a['llm.token_count.total']));
  fillUsage(d, 'cacheReadTokens', num(a['llm.token_count.prompt_details.cache_read']));
  fillUsage(d, 'cacheWriteTokens', num(a['llm.token_count.prompt_details.cache_write']));
  fillUsage(d, 'reasoningTokens', num(a['llm.token_count.completion_details.reasoning']));
  if (isObject(params)) {
    for (const [k, v] of Object.entries(params)) {
      if (NOT_PARAMS.has(k)) continue;
      fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, v);
    }
  }

  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= str(a['tool.name']) ?? span.name;
    d.tool.callId ??= str(a['tool.id'] ?? a['tool_call.id']);
    if (withContent) {
      // `tool.parameters` is the tool's schema, not the call's arguments: those are input.value.
      d.tool.arguments ??= contentText(a['input.value']);
      d.tool.result ??= contentText(a['output.value']);
    }
  }

  if (!withContent) return;
  const tools = indexed(a, 'llm.tools').map((t) => toolName(t['tool.json_schema']));
  fill(d, 'tools', tools.filter((n): n is string => !!n));
  fill(d, 'input', indexed(a, 'llm.input_messages').map((f) => message(f, 'user')));
  fill(d, 'output', indexed(a, 'llm.output_messages').map((f) => message(f, 'assistant')));
  if (d.kind === 'embedding') {
    const texts = indexed(a, 'embedding.embeddings').map((e) => text(e['embedding.text']));
    fill(d, 'input', texts.filter(Boolean).map((t) => ({ role: 'input', content: t, toolCalls: [], toolCallId: null })));
  }
};

function contentText(v: AttrValue | undefined): string | undefined {
  return v === undefined || v === null || isRedacted(v) ? undefined : text(v);
}
