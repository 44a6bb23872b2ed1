/** Langfuse, captured: manual observations (@langfuse/tracing) and @langfuse/openai's observeOpenAI. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../src/core/model.js';
import {
  A_CAPITAL, CHAT_IN, CHAT_OUT, ERROR_MESSAGE, type ExpectedCall, NO_USAGE, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT, WEATHER_RESULT,
  assertCall, calls, embedded, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

function run(dialect: string, scenario: string) {
  return normalizeFixture(loadFixture(dialect, scenario));
}

/** completion_start_time (a JSON-quoted ISO time) minus the span start, in ms. */
function completionStart(span: Span): number {
  const iso = JSON.parse(span.attributes['langfuse.observation.completion_start_time'] as string) as string;
  return Date.parse(iso) - Number(BigInt(span.startTimeUnixNano) / 1_000_000n);
}

// Langfuse records no provider and no finish reason.
const base: ExpectedCall = {
  provider: null, requestModel: 'gpt-4o-mini', responseModel: null, params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: [], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4, reasoningTokens: 2 }),
  costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 0, ttftMs: null, error: null, contentMissing: null, convention: 'langfuse',
};

describe('normalize: Langfuse observations (captured)', () => {
  it('chat: the generation is the call, the app root (`span` observation) a chain; the app usage keys as written', () => {
    const list = run('langfuse', 'chat');
    assert.deepEqual(kinds(list), [['openai.chat', 'llm'], ['answer-question', 'chain']]);
    assert.deepEqual(list[1]!.n, { kind: 'chain', llm: null, tool: null });
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'captured');
  });

  it('stream: the JSON-quoted completion_start_time gives the time to first token', () => {
    const [c] = calls(run('langfuse', 'stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2 }, ttftMs: 60 }, 'captured');
    assert.equal(c!.llm.ttftMs, completionStart(c!.span));
  });

  it('tools: `{ messages, tools }` input, tool calls in the output message, the tool observation with its call id', () => {
    const list = run('langfuse', 'tools');
    assert.deepEqual(kinds(list), [['openai.chat', 'llm'], ['get_weather', 'tool'], ['openai.chat', 'llm'], ['answer-question', 'chain']]);
    assert.deepEqual(list[1]!.n.tool, { name: 'get_weather', callId: 'call_fake_weather_1', arguments: '{"city":"Paris"}', result: WEATHER_RESULT });
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17),
    }, 'captured');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11),
    }, 'captured');
  });

  it('embeddings: the embedded text; the vector output is not a message', () => {
    const list = run('langfuse', 'embeddings');
    assert.deepEqual(kinds(list), [['openai.embeddings', 'embedding'], ['answer-question', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', system: null, input: [embedded(A_CAPITAL)], output: [], usage: usage(5, null, 5), costUsd: embeddingUsd(5),
    }, 'captured');
  });

  it('error: level ERROR and status_message are the error, though the OTel status is UNSET', () => {
    const list = run('langfuse', 'error');
    assert.deepEqual(kinds(list), [['openai.chat', 'llm'], ['answer-question', 'chain']]);
    const [c] = calls(list);
    assert.equal(c!.span.status.code, 'unset');
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', output: [], usage: NO_USAGE, costUsd: null, error: `429 ${ERROR_MESSAGE}`,
    }, 'captured');
  });

  it('chat-nocontent: no input or output: the hint says to pass them to the observation', () => {
    const list = run('langfuse', 'chat-nocontent');
    assert.deepEqual(kinds(list), [['openai.chat', 'llm'], ['answer-question', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], contentMissing: /startObservation\(name, \{ input \}\)/,
    }, 'captured');
  });
});

describe('normalize: Langfuse observeOpenAI (captured)', () => {
  // observeOpenAI writes the response's model when there is a response (a dated snapshot): the
  // request model is then unknown. Its usage keys exclude cached and reasoning tokens from
  // input and output: added back, so the counts mean what every other convention means.
  const openai: ExpectedCall = { ...base, requestModel: null, responseModel: 'gpt-4o-mini-2024-07-18' };

  it('chat: response model; usage 17/7 + 4 cached + 2 reasoning read as 21/9; response_format "" is no parameter', () => {
    const list = run('langfuse-openai', 'chat');
    assert.deepEqual(kinds(list), [['OpenAI.chat', 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...openai, params: { max_tokens: 64, temperature: 0.2 } }, 'captured');
  });

  it('stream: the request model, plain-text output, time to first token', () => {
    const [c] = calls(run('langfuse-openai', 'stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { stream: true, temperature: 0.2 }, ttftMs: 60 }, 'captured');
    assert.equal(c!.llm.ttftMs, completionStart(c!.span));
  });

  it('tools: each call its own trace; usage 34/12 and 47/11 read as 42/17 and 63/11', () => {
    const list = run('langfuse-openai', 'tools');
    assert.deepEqual(kinds(list), [['OpenAI.chat', 'llm'], ['OpenAI.chat', 'llm']]);
    assert.notEqual(list[0]!.span.traceId, list[1]!.span.traceId);
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...openai, input: TOOLS1_IN, output: TOOLS1_OUT, tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17),
    }, 'captured');
    assertCall(two!.span, two!.llm, {
      ...openai, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11),
    }, 'captured');
  });

  it('embeddings: a `generation` observation that is an embedding call; empty output, no usage', () => {
    const list = run('langfuse-openai', 'embeddings');
    assert.deepEqual(kinds(list), [['OpenAI.embeddings', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', system: null, input: [embedded(A_CAPITAL)], output: [], usage: NO_USAGE, costUsd: null,
    }, 'captured');
  });

  it('error: the status_message as written; the parent span is not in the file', () => {
    const list = run('langfuse-openai', 'error');
    assert.deepEqual(kinds(list), [['OpenAI.chat', 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', output: [], usage: NO_USAGE, costUsd: null, error: `Error: 429 ${ERROR_MESSAGE}`,
    }, 'captured');
  });

  it('chat-nocontent: [REDACTED] from the processor mask is missing content; the hint names the mask', () => {
    const [c] = calls(run('langfuse-openai', 'chat-nocontent'));
    assertCall(c!.span, c!.llm, {
      ...openai, params: { max_tokens: 64, temperature: 0.2 }, system: null, input: [], output: [], contentMissing: /\[REDACTED\].*mask/,
    }, 'captured');
  });
});
