/**
 * Every convention to one model: the readers run from the most specific to the most generic,
 * each filling only what is still empty, and the draft becomes a NormalizedSpan. At ingest the
 * store calls this without content (kind, model, usage, cost); views call it with content.
 */
import type { LogRecord, Span } from '../model.js';
import { durationMs } from '../model.js';
import type { LlmCall, NormalizedSpan, SpanCategory } from '../../shared/llm.js';
import { contentHint } from './contentHint.js';
import { readGenAi, readGenAiEvents } from './conventions/genai.js';
import { readOpenInference } from './conventions/openinference.js';
import { readOpenLlmetry } from './conventions/openllmetry.js';
import { readLangfuse, readLangsmith, readLogfire, readMlflow } from './conventions/others.js';
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

function errorOf(span: Span): string | null {
  if (span.status.code !== 'error') return null;
  const exception = span.events.find((e) => e.name === 'exception');
  return (
    span.status.message ||
    str(exception?.attributes['exception.message']) ||
    str(span.attributes['error.type']) ||
    'error'
  );
}

export function normalizeSpan(span: Span, logs: LogRecord[] = [], options: NormalizeOptions = {}): NormalizedSpan {
  const withContent = options.withContent ?? true;
  const draft: Draft = { params: {}, usage: {} };
  if (mayBeAi(span) || logs.length > 0) {
    const input: SpanInput = { span, logs, withContent };
    for (const read of READERS) read(input, draft);
  }
  const kind = draft.kind ?? fallbackKind(span);
  const isCall = kind === 'llm' || kind === 'embedding';
  return {
    kind,
    llm: isCall ? llmCall(span, draft, withContent, options.prices) : null,
    tool:
      kind === 'tool'
        ? { name: draft.tool?.name ?? span.name, callId: draft.tool?.callId ?? null, arguments: draft.tool?.arguments ?? null, result: draft.tool?.result ?? null }
        : null,
  };
}

function llmCall(span: Span, d: Draft, withContent: boolean, prices?: Record<string, Price>): LlmCall {
  const { system: lifted, rest } = splitSystem(d.input ?? []);
  const system = d.system ?? lifted ?? null;
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
  const hasContent = rest.length > 0 || output.length > 0 || system !== null;
  return {
    provider: d.provider ?? null,
    requestModel: d.requestModel ?? null,
    responseModel: d.responseModel ?? null,
    params: d.params,
    system,
    input: rest,
    output,
    finishReasons: d.finishReasons ?? [],
    tools: d.tools ?? [],
    usage,
    costUsd: costOf(model, usage, prices),
    latencyMs: durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    ttftMs: d.ttftMs ?? ttftFromEvents(span),
    error: errorOf(span),
    contentMissing: withContent && !hasContent ? contentHint(span) : null,
    convention: d.convention ?? 'gen_ai',
  };
}

/** Time to first token from a first-token event, as OpenLLMetry and OpenInference write one. */
function ttftFromEvents(span: Span): number | null {
  const e = span.events.find((ev) => /first[ _.-]?token|first[ _.-]?chunk|completion\.chunk/i.test(ev.name));
  return e ? durationMs(span.startTimeUnixNano, e.timeUnixNano) : null;
}
