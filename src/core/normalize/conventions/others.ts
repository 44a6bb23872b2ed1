/**
 * Conventions that mostly wrap one JSON payload: Langfuse (`langfuse.observation.*`), Logfire
 * (`request_data` / `response_data`), MLflow (`mlflow.spanType`, `mlflow.spanInputs/Outputs`)
 * and LangSmith (`langsmith.span.kind`, JSON `gen_ai.prompt` / `gen_ai.completion`).
 */
import type { Message, SpanCategory } from '../../../shared/llm.js';
import { type Draft, type Reader, fill, fillParam, fillUsage } from '../draft.js';
import { toolName } from './genai.js';
import { toMessage, toMessages } from '../messages.js';
import { isObject, json, num, str, text } from '../read.js';

type Obj = Record<string, unknown>;

const KINDS: Record<string, SpanCategory> = {
  generation: 'llm', llm: 'llm', chat_model: 'llm', chat: 'llm', completion: 'llm',
  embedding: 'embedding', embeddings: 'embedding',
  tool: 'tool', agent: 'agent', chain: 'chain', prompt: 'chain', parser: 'chain', workflow: 'chain',
  retriever: 'retriever', reranker: 'reranker', evaluator: 'evaluator', guardrail: 'guardrail',
  span: 'other', event: 'other', unknown: 'other',
};

/** OpenAI/Anthropic response bodies: `choices[].message`, or `content` blocks, or a bare message. */
function responseMessages(v: unknown): { output: Message[]; finish: string[] } | undefined {
  const r = json(v);
  if (!isObject(r)) return typeof r === 'string' ? { output: [toMessage(r, 'assistant')], finish: [] } : undefined;
  if (Array.isArray(r.choices)) {
    const choices = r.choices.filter(isObject);
    return {
      output: choices.map((c) => toMessage(c.message ?? c.delta ?? { content: c.text }, 'assistant')),
      finish: choices.map((c) => str(c.finish_reason)).filter((x): x is string => !!x),
    };
  }
  if (isObject(r.message)) return { output: [toMessage(r.message, 'assistant')], finish: [] };
  if (Array.isArray(r.content) || r.role !== undefined) return { output: [toMessage(r, 'assistant')], finish: str(r.stop_reason) ? [str(r.stop_reason)!] : [] };
  if (typeof r.combined_chunk_content === 'string') return { output: [toMessage(r.combined_chunk_content, 'assistant')], finish: [] };
  return undefined;
}

function usageFrom(d: Draft, u: unknown): void {
  const usage = json(u);
  if (!isObject(usage)) return;
  fillUsage(d, 'inputTokens', num(usage.input ?? usage.prompt_tokens ?? usage.input_tokens ?? usage.promptTokens));
  fillUsage(d, 'outputTokens', num(usage.output ?? usage.completion_tokens ?? usage.output_tokens ?? usage.completionTokens));
  fillUsage(d, 'totalTokens', num(usage.total ?? usage.total_tokens ?? usage.totalTokens));
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completionDetails = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  fillUsage(d, 'cacheReadTokens', num(usage.cache_read_input_tokens ?? promptDetails.cached_tokens ?? usage.input_cached_tokens));
  fillUsage(d, 'cacheWriteTokens', num(usage.cache_creation_input_tokens));
  fillUsage(d, 'reasoningTokens', num(completionDetails.reasoning_tokens ?? usage.output_reasoning_tokens));
}

/** A request body (OpenAI-shaped): model, parameters, messages, tools. */
function requestFrom(d: Draft, body: Obj, withContent: boolean): void {
  fill(d, 'requestModel', str(body.model));
  for (const k of ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'frequency_penalty', 'presence_penalty', 'n', 'stream']) {
    fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, body[k]);
  }
  if (Array.isArray(body.tools)) fill(d, 'tools', body.tools.map(toolName).filter((n): n is string => !!n));
  if (!withContent) return;
  if (typeof body.system === 'string') fill(d, 'system', body.system);
  fill(d, 'input', toMessages(body.messages ?? body.input ?? body.prompt));
}

export const readLangfuse: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const type = str(a['langfuse.observation.type']);
  if (type === undefined) return;
  fill(d, 'kind', KINDS[type.toLowerCase()]);
  fill(d, 'requestModel', str(a['langfuse.observation.model.name']));
  const params = json(a['langfuse.observation.model.parameters']);
  if (isObject(params)) for (const [k, v] of Object.entries(params)) fillParam(d, k === 'max_completion_tokens' ? 'max_tokens' : k, v);
  usageFrom(d, a['langfuse.observation.usage_details']);
  const started = str(json(a['langfuse.observation.completion_start_time']));
  if (started) {
    const ms = Date.parse(started) - Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
    if (Number.isFinite(ms) && ms >= 0) fill(d, 'ttftMs', ms);
  }
  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= span.name;
    if (a['langfuse.observation.input'] !== undefined) d.tool.arguments ??= text(json(a['langfuse.observation.input']));
    if (a['langfuse.observation.output'] !== undefined) d.tool.result ??= text(json(a['langfuse.observation.output']));
  }
  if (!withContent) return;
  const input = json(a['langfuse.observation.input']);
  const messages = isObject(input) && !Array.isArray(input.messages) && input.role === undefined ? undefined : toMessages(input);
  if (messages) fill(d, 'input', messages);
  else if (isObject(input)) requestFrom(d, input, true);
  const out = responseMessages(a['langfuse.observation.output']);
  if (out) {
    fill(d, 'output', out.output);
    fill(d, 'finishReasons', out.finish);
  }
  if (messages || out) fill(d, 'convention', 'langfuse');
};

export const readLogfire: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const request = json(a['request_data']);
  if (!isObject(request)) return;
  const isEmbedding = request.input !== undefined && request.messages === undefined;
  fill(d, 'kind', isEmbedding ? 'embedding' : 'llm');
  requestFrom(d, request, withContent);
  const response = json(a['response_data']);
  if (isObject(response)) {
    usageFrom(d, response.usage);
    fill(d, 'responseModel', str(response.model));
    if (withContent) {
      const out = responseMessages(response);
      if (out) {
        fill(d, 'output', out.output);
        fill(d, 'finishReasons', out.finish);
      }
    }
  }
  if (withContent) fill(d, 'convention', 'logfire');
};

export const readMlflow: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const type = str(json(a['mlflow.spanType']));
  if (type === undefined) return;
  fill(d, 'kind', KINDS[type.toLowerCase()] ?? 'other');
  const inputs = json(a['mlflow.spanInputs']);
  const outputs = json(a['mlflow.spanOutputs']);
  usageFrom(d, a['mlflow.chat.tokenUsage']);
  const tools = json(a['mlflow.chat.tools']);
  if (Array.isArray(tools)) fill(d, 'tools', tools.map(toolName).filter((n): n is string => !!n));
  if (isObject(outputs)) {
    usageFrom(d, outputs.usage);
    fill(d, 'responseModel', str(outputs.model));
  }
  if (d.kind === 'tool') {
    d.tool ??= {};
    d.tool.name ??= str(a['mlflow.spanFunctionName']) ?? span.name;
    if (inputs !== undefined) d.tool.arguments ??= text(inputs);
    if (outputs !== undefined) d.tool.result ??= text(outputs);
  }
  if (isObject(inputs) && (d.kind === 'llm' || d.kind === 'embedding')) requestFrom(d, inputs, withContent);
  if (!withContent || (d.kind !== 'llm' && d.kind !== 'embedding')) return;
  const out = responseMessages(outputs);
  if (out) {
    fill(d, 'output', out.output);
    fill(d, 'finishReasons', out.finish);
  }
  fill(d, 'convention', 'mlflow');
};

export const readLangsmith: Reader = ({ span, withContent }, d) => {
  const a = span.attributes;
  const kind = str(a['langsmith.span.kind']);
  if (kind === undefined) return;
  fill(d, 'kind', KINDS[kind.toLowerCase()] ?? 'other');
  fill(d, 'requestModel', str(a['langsmith.metadata.ls_model_name']));
  fill(d, 'provider', str(a['langsmith.metadata.ls_provider']));
  if (!withContent) return;
  const prompt = json(a['gen_ai.prompt']);
  const completion = json(a['gen_ai.completion']);
  if (prompt !== undefined && typeof a['gen_ai.prompt'] === 'string') fill(d, 'input', toMessages(prompt));
  if (completion !== undefined && typeof a['gen_ai.completion'] === 'string') {
    const out = responseMessages(completion) ?? (toMessages(completion, 'assistant') ? { output: toMessages(completion, 'assistant')!, finish: [] } : undefined);
    if (out) fill(d, 'output', out.output);
  }
  if (d.input || d.output) fill(d, 'convention', 'langsmith');
};
