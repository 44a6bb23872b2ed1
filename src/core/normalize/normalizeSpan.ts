/**
 * Every convention to one model: the readers run in a fixed order, each filling only what is
 * still empty (the standard GenAI attributes first, as most conventions write them too, then each
 * convention's own; the older GenAI events last), and the draft becomes a NormalizedSpan. At
 * ingest the store calls this without content (kind, models, usage, cost: the same values as
 * with content); views call it with content.
 */
import type { LogRecord, Span } from '../model.js';
import { durationMs } from '../model.js';
import type { LlmCall, Message, NormalizedSpan, SpanCategory } from '../../shared/llm.js';
import { contentHint } from './contentHint.js';
import { readGenAi, readGenAiEvents } from './conventions/genai.js';
import { readOpenInference } from './conventions/openinference.js';
import { readOpenLlmetry } from './conventions/openllmetry.js';
import { readLangfuse } from './conventions/langfuse.js';
import { readLangsmith } from './conventions/langsmith.js';
import { readLogfire } from './conventions/logfire.js';
import { readMlflow } from './conventions/mlflow.js';
import { readVercel } from './conventions/vercel.js';
import type { Draft, Reader, SpanInput } from './draft.js';
import { splitSystem } from './messages.js';
import { type Price, costOf } from './prices.js';
import { first, hasPrefix, str } from './read.js';

const READERS: Reader[] = [readGenAi, readOpenInference, readVercel, readOpenLlmetry, readLangfuse, readLogfire, readMlflow, readLangsmith, readGenAiEvents];

export interface NormalizeOptions {
  withContent?: boolean;
  prices?: Record<string, Price>;
}

/** Cheap check that lets plain spans skip the readers. */
function mayBeAi(span: Span): boolean {
  const a = span.attributes;
  for (const key in a) {
    const c = key.charCodeAt(0);
    // g(en_ai) l(lm, langfuse, langsmith) o(penin…) a(i.) t(raceloop) m(lflow) r(equest_data) i(nput.value) e(mbedding) t(ool)
    if (c === 103 || c === 108 || c === 111 || c === 97 || c === 116 || c === 109 || c === 114 || c === 105 || c === 101) return true;
  }
  return span.name.startsWith('ai.') || span.events.some((e) => e.name.startsWith('gen_ai.'));
}

function fallbackKind(span: Span): SpanCategory {
  const a = span.attributes;
  if (a['gen_ai.system'] !== undefined || a['gen_ai.request.model'] !== undefined || hasPrefix(a, 'gen_ai.prompt.')) return 'llm';
  if (first(a, 'http.request.method', 'http.method', 'url.full', 'http.url') !== undefined) return 'http';
  if (first(a, 'db.system', 'db.system.name', 'db.query.text', 'db.statement') !== undefined) return 'db';
  return 'other';
}

/**
 * The OTel status message; else the error a convention records its own way (Langfuse); else the
 * exception event as `Type: message`, the form Python's tracebacks and Logfire print.
 */
function errorOf(span: Span, d: Draft): string | null {
  if (span.status.code !== 'error') return d.error ?? null;
  if (span.status.message) return span.status.message;
  if (d.error) return d.error;
  const exception = span.events.find((e) => e.name === 'exception');
  const message = str(exception?.attributes['exception.message']);
  const type = str(exception?.attributes['exception.type']) ?? str(span.attributes['error.type']);
  if (message && type && !message.startsWith(type)) return `${type}: ${message}`;
  return message || type || 'error';
}

// API suffixes the Vercel AI SDK appends to its provider ids (`openai.chat`, `anthropic.messages`).
const PROVIDER_API = /\.(?:chat|responses|completion|embedding|image|transcription|speech|messages|generative-ai)$/;

/** `openai.chat` → `openai`; GenAI values such as `aws.bedrock` or `az.ai.inference` stay as they are. */
export function normalizeProvider(provider: string | undefined): string | null {
  if (!provider) return null;
  let p = provider.trim().toLowerCase();
  while (PROVIDER_API.test(p)) p = p.replace(PROVIDER_API, '');
  return p || null;
}

export function normalizeSpan(span: Span, logs: LogRecord[] = [], options: NormalizeOptions = {}): NormalizedSpan {
  const withContent = options.withContent ?? true;
  const draft: Draft = { params: {}, usage: {} };
  if (mayBeAi(span) || logs.length > 0) {
    const input: SpanInput = { span, logs, withContent };
    for (const read of READERS) {
      try {
        read(input, draft);
      } catch {
        // Span data is untrusted input: a value no reader foresaw costs its own fields, never
        // the span (ingest would drop the whole batch).
      }
    }
  }
  const kind = draft.kind ?? fallbackKind(span);
  const isCall = kind === 'llm' || kind === 'embedding';
  return {
    kind,
    llm: isCall ? llmCall(span, kind, draft, withContent, options.prices) : null,
    tool:
      kind === 'tool'
        ? { name: draft.tool?.name ?? span.name, callId: draft.tool?.callId ?? null, arguments: draft.tool?.arguments ?? null, result: draft.tool?.result ?? null }
        : null,
  };
}

function llmCall(span: Span, kind: SpanCategory, d: Draft, withContent: boolean, prices?: Record<string, Price>): LlmCall {
  const { system: lifted, rest } = splitSystem(d.input ?? []);
  const system = d.system && lifted && d.system !== lifted ? `${d.system}\n${lifted}` : d.system || lifted || null;
  // What is embedded is input, not a user turn: one role for it whatever the convention wrote.
  const input = kind === 'embedding' ? rest.map((m) => (m.role === 'input' ? m : { ...m, role: 'input' })) : rest;
  const output = d.output ?? [];
  const u = d.usage;
  const usage = {
    inputTokens: u.inputTokens ?? null,
    outputTokens: u.outputTokens ?? null,
    totalTokens: u.totalTokens ?? (u.inputTokens !== undefined || u.outputTokens !== undefined ? (u.inputTokens ?? 0) + (u.outputTokens ?? 0) : null),
    cacheReadTokens: u.cacheReadTokens ?? null,
    cacheWriteTokens: u.cacheWriteTokens ?? null,
    reasoningTokens: u.reasoningTokens ?? null,
  };
  const model = d.responseModel ?? d.requestModel ?? null;
  return {
    provider: normalizeProvider(d.provider),
    requestModel: d.requestModel ?? null,
    responseModel: d.responseModel ?? null,
    params: d.params,
    system,
    input,
    output,
    finishReasons: d.finishReasons ?? [],
    tools: d.tools ?? [],
    usage,
    costUsd: costOf(model, usage, prices),
    latencyMs: d.latencyMs ?? durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    ttftMs: d.ttftMs ?? ttftFromEvents(span),
    error: errorOf(span, d),
    contentMissing: withContent && !hasContent(system, input, output) ? contentHint(span) : null,
    convention: d.convention ?? 'gen_ai',
  };
}

/** Whether anything of the prompt or answer was recorded (messages emptied by redaction do not count). */
function hasContent(system: string | null, input: Message[], output: Message[]): boolean {
  if (system) return true;
  for (const list of [input, output]) for (const m of list) if (m.content !== '' || m.toolCalls.length > 0) return true;
  return false;
}

/**
 * Time to first token from the first streaming event: OpenLLMetry's `llm.content.completion.chunk`,
 * MLflow's `mlflow.chunk.item.N`, `*first_token*` / `*firstChunk*` events.
 */
function ttftFromEvents(span: Span): number | null {
  const e = span.events.find((ev) => FIRST_CHUNK.test(ev.name));
  return e ? durationMs(span.startTimeUnixNano, e.timeUnixNano) : null;
}
const FIRST_CHUNK = /first[ _.-]?(?:token|chunk)|chunk/i;
