/**
 * OpenLLMetry / Traceloop (JS and Python): indexed `gen_ai.prompt.N.*` and
 * `gen_ai.completion.N.*` with tool calls, `llm.request.type`, `llm.request.functions.N.*`,
 * `llm.usage.total_tokens`, and the SDK's `traceloop.span.kind` / `traceloop.entity.*`.
 */
import type { AttrValue } from '../../model.js';
import type { Message, ToolCall } from '../../../shared/llm.js';
import { type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { contentParts, toMessage } from '../messages.js';
import { first, indexed, json, num, str, text } from '../read.js';

const REQUEST_TYPE = { chat: 'llm', completion: 'llm', embedding: 'embedding', rerank: 'reranker' } as const;
const ENTITY_KIND = { workflow: 'chain', task: 'chain', agent: 'agent', tool: 'tool' } as const;

function toolCalls(fields: Record<string, AttrValue>): ToolCall[] {
  const calls: ToolCall[] = [];
  const byIndex = new Map<string, Record<string, AttrValue>>();
  for (const key in fields) {
    const m = /^tool_calls\.(\d+)\.(.+)$/.exec(key);
    if (!m) continue;
    const entry = byIndex.get(m[1]!) ?? {};
    entry[m[2]!] = fields[key]!;
    byIndex.set(m[1]!, entry);
  }
  for (const idx of [...byIndex.keys()].sort((x, y) => Number(x) - Number(y))) {
    const c = byIndex.get(idx)!;
    const name = str(c.name ?? c['function.name']);
    if (name) calls.push({ id: str(c.id) ?? null, name, arguments: text(c.arguments ?? c['function.arguments'] ?? '{}') });
  }
  // The oldest form: a single function call.
  const fnName = str(fields['function_call.name']);
  if (fnName) calls.push({ id: null, name: fnName, arguments: text(fields['function_call.arguments'] ?? '{}') });
  return calls;
}

function messages(entries: Record<string, AttrValue>[], defaultRole: string): Message[] {
  return entries.map((f) => {
    // Content is a string, or (Python, for list content) the parts as JSON text.
    const parts = contentParts(f.content);
    const m = parts ? toMessage({ content: parts }, defaultRole) : undefined;
    return {
      role: str(f.role) ?? defaultRole,
      content: m ? m.content : f.content === undefined || f.content === null ? '' : text(f.content),
      toolCalls: toolCalls(f),
      toolCallId: str(f.tool_call_id) ?? null,
    };
  });
}

export const readOpenLlmetry: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const requestType = str(a['llm.request.type']);
  if (requestType && requestType in REQUEST_TYPE) fill(d, 'kind', REQUEST_TYPE[requestType as keyof typeof REQUEST_TYPE]);
  const entityKind = str(a['traceloop.span.kind']);
  if (entityKind && entityKind in ENTITY_KIND) fill(d, 'kind', ENTITY_KIND[entityKind as keyof typeof ENTITY_KIND]);
  if (requestType !== undefined || entityKind !== undefined) fill(d, 'convention', 'openllmetry');

  fillUsage(d, 'totalTokens', num(a['llm.usage.total_tokens']));
  fillUsage(d, 'cacheReadTokens', num(first(a, 'gen_ai.usage.cache_read_input_tokens', 'llm.usage.cache_read_input_tokens')));
  fillUsage(d, 'cacheWriteTokens', num(first(a, 'gen_ai.usage.cache_creation_input_tokens', 'llm.usage.cache_creation_input_tokens')));
  fillUsage(d, 'reasoningTokens', num(first(a, 'gen_ai.usage.reasoning_tokens', 'llm.usage.reasoning_tokens')));
  fillParam(d, 'frequency_penalty', a['llm.frequency_penalty']);
  fillParam(d, 'presence_penalty', a['llm.presence_penalty']);
  fillParam(d, 'top_k', a['llm.top_k']);
  // Written on every call; only a stream is worth saying (other conventions say nothing otherwise).
  if (a['llm.is_streaming'] === true || a['llm.is_streaming'] === 'true') fillParam(d, 'stream', true);

  if (d.kind === 'tool' && entityKind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= str(a['traceloop.entity.name']);
    if (withContent) {
      d.tool.arguments ??= entityText(a['traceloop.entity.input']);
      d.tool.result ??= entityText(a['traceloop.entity.output']);
    }
  }

  if (!withContent) return;
  const functions = indexed(a, 'llm.request.functions');
  if (functions.length) fill(d, 'tools', functions.map((f) => str(f.name)).filter((n): n is string => !!n));
  const prompts = indexed(a, 'gen_ai.prompt');
  const completions = indexed(a, 'gen_ai.completion');
  if (prompts.length || completions.length) fill(d, 'convention', 'openllmetry');
  fill(d, 'input', messages(prompts, 'user'));
  fill(d, 'output', messages(completions, 'assistant'));
  fill(d, 'finishReasons', completions.map((c) => str(c.finish_reason)).filter((r): r is string => !!r));
};

/** traceloop.entity.input/output wrap the arguments as `{"args": [...], "kwargs": {...}}` (JSON). */
function entityText(v: AttrValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  const parsed = json(v);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    if ('kwargs' in o || 'args' in o) {
      const kwargs = o.kwargs as Record<string, unknown> | undefined;
      const args = o.args as unknown[] | undefined;
      if (kwargs && Object.keys(kwargs).length) return JSON.stringify(kwargs);
      if (args && args.length === 1) return text(args[0]);
      if (args) return JSON.stringify(args);
    }
  }
  return text(parsed);
}
