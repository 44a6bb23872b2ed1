/**
 * Vercel AI SDK telemetry (v4–v6 `ai.*` spans). The inner `doGenerate` / `doStream` spans are
 * the LLM calls; the outer `ai.generateText` / `ai.streamText` spans wrap the steps and tool
 * calls, so they are chains (their usage totals are not counted twice).
 */
import type { SpanCategory, ToolCall } from '../../../shared/llm.js';
import { type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { toolName } from './genai.js';
import { toMessages } from '../messages.js';
import { first, isObject, json, num, str, stringList, text } from '../read.js';

function kindOf(operation: string): SpanCategory | undefined {
  if (/\.do(Generate|Stream)$/.test(operation)) return 'llm';
  if (/\.doEmbed$/.test(operation)) return 'embedding';
  if (operation === 'ai.toolCall') return 'tool';
  if (/^ai\.(generateText|streamText|generateObject|streamObject|embed|embedMany)$/.test(operation)) return 'chain';
  return undefined;
}

const SETTINGS: [string, string][] = [
  ['ai.settings.temperature', 'temperature'],
  ['ai.settings.topP', 'top_p'],
  ['ai.settings.topK', 'top_k'],
  ['ai.settings.maxTokens', 'max_tokens'],
  ['ai.settings.maxOutputTokens', 'max_tokens'],
  ['ai.settings.stopSequences', 'stop'],
  ['ai.settings.seed', 'seed'],
  ['ai.settings.presencePenalty', 'presence_penalty'],
  ['ai.settings.frequencyPenalty', 'frequency_penalty'],
];

export const readVercel: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const operation = str(a['ai.operationId']) ?? (span.name.startsWith('ai.') ? span.name.split(' ')[0]! : undefined);
  if (!operation) return;
  const kind = kindOf(operation);
  fill(d, 'kind', kind);
  fill(d, 'convention', 'vercel-ai');
  // `openai.chat`, `openai.embedding`: normalizeSpan drops the API suffix.
  fill(d, 'provider', str(a['ai.model.provider']));
  fill(d, 'requestModel', str(a['ai.model.id']));
  fill(d, 'responseModel', str(a['ai.response.model']));
  for (const [key, name] of SETTINGS) fillParam(d, name, a[key]);
  fillUsage(d, 'inputTokens', num(first(a, 'ai.usage.inputTokens', 'ai.usage.promptTokens', 'ai.usage.tokens')));
  fillUsage(d, 'outputTokens', num(first(a, 'ai.usage.outputTokens', 'ai.usage.completionTokens')));
  fillUsage(d, 'totalTokens', num(a['ai.usage.totalTokens']));
  fillUsage(d, 'reasoningTokens', num(first(a, 'ai.usage.reasoningTokens', 'ai.usage.outputTokenDetails.reasoningTokens')));
  fillUsage(d, 'cacheReadTokens', num(first(a, 'ai.usage.cachedInputTokens', 'ai.usage.inputTokenDetails.cacheReadTokens')));
  fillUsage(d, 'cacheWriteTokens', num(a['ai.usage.inputTokenDetails.cacheWriteTokens']));
  // Kept as the SDK wrote it (`tool-calls`), like every convention's finish reasons.
  const reason = str(a['ai.response.finishReason']);
  if (reason) fill(d, 'finishReasons', [reason]);
  const ttft = num(a['ai.response.msToFirstChunk'] ?? a['ai.stream.msToFirstChunk']);
  if (ttft !== undefined) fill(d, 'ttftMs', ttft);

  if (kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= str(a['ai.toolCall.name']);
    d.tool.callId ??= str(a['ai.toolCall.id']);
    if (withContent) {
      const args = first(a, 'ai.toolCall.args', 'ai.toolCall.input');
      const result = first(a, 'ai.toolCall.result', 'ai.toolCall.output');
      if (args !== undefined) d.tool.arguments ??= text(args);
      if (result !== undefined) d.tool.result ??= text(result);
    }
  }

  if (!withContent) return;
  const tools = stringList(a['ai.prompt.tools']);
  if (tools) fill(d, 'tools', tools.map(toolName).filter((n): n is string => !!n));
  if (kind === 'embedding') {
    // `ai.values` holds each embedded value as JSON text (`"\"Paris…\""`).
    const values = stringList(first(a, 'ai.values', 'ai.value'));
    if (values) fill(d, 'input', values.map((v) => ({ role: 'input', content: text(json(v)), toolCalls: [], toolCallId: null })));
    return;
  }
  const prompt = json(a['ai.prompt']);
  fill(d, 'input', toMessages(a['ai.prompt.messages']) ?? (isObject(prompt) ? promptMessages(prompt) : undefined));
  if (isObject(prompt)) fill(d, 'system', str(prompt.system));
  const calls = json(a['ai.response.toolCalls']);
  const toolCalls: ToolCall[] = Array.isArray(calls)
    ? calls.filter(isObject).map((c) => ({ id: str(c.toolCallId) ?? null, name: str(c.toolName) ?? '', arguments: text(c.input ?? c.args ?? '{}') }))
    : [];
  const responseText = str(first(a, 'ai.response.text', 'ai.response.object'));
  if (responseText !== undefined || toolCalls.length) {
    fill(d, 'output', [{ role: 'assistant', content: responseText ?? '', toolCalls, toolCallId: null }]);
  }
};

function promptMessages(prompt: Record<string, unknown>): ReturnType<typeof toMessages> {
  if (prompt.messages !== undefined) return toMessages(prompt.messages);
  if (typeof prompt.prompt === 'string') return toMessages(prompt.prompt);
  return undefined;
}
