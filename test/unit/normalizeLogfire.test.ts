/** Logfire's OpenAI integration (3.x, hand-made): request_data / response_data JSON, template span names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A_CAPITAL, CHAT_IN, CHAT_OUT, type ExpectedCall, NO_USAGE, PY_ERROR, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT,
  assertCall, calls, embedded, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

function run(scenario: string) {
  return normalizeFixture(loadFixture('logfire', scenario));
}

const CHAT = 'Chat Completion with {request_data[model]!r}';
// No finish reason anywhere; cached and reasoning tokens only inside response_data.
const base: ExpectedCall = {
  provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: [], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4, reasoningTokens: 2 }),
  costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 70, ttftMs: null, error: null, contentMissing: null, convention: 'logfire',
};

describe('normalize: Logfire (hand-made)', () => {
  it('chat: messages from request_data, answer and full usage from response_data', () => {
    const list = run('chat');
    assert.deepEqual(kinds(list), [[CHAT, 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { max_tokens: 64, temperature: 0.2 } }, 'exact');
  });

  it('stream: the request span (no response) and the zero-length log span holding the response, its latency the logged duration', () => {
    const list = run('stream');
    assert.deepEqual(kinds(list), [[CHAT, 'llm'], ['streaming response from {request_data[model]!r} took {duration:.2f}s', 'llm']]);
    const [request, response] = calls(list);
    // The provider comes from the integration's scope (logfire.openai): the stream spans have no gen_ai.system.
    assertCall(request!.span, request!.llm, {
      ...base, responseModel: null, params: { stream: true, temperature: 0.2 }, output: [], usage: NO_USAGE, costUsd: null, latencyMs: 8,
    }, 'exact');
    assertCall(response!.span, response!.llm, { ...base, responseModel: null, params: { stream: true, temperature: 0.2 }, latencyMs: 100 }, 'exact');
  });

  it('tools: the app span is a plain span; tool calls and tool names only inside the JSON bodies', () => {
    const list = run('tools');
    assert.deepEqual(kinds(list), [['Answering {question!r}', 'other'], [CHAT, 'llm'], [CHAT, 'llm']]);
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17), latencyMs: 13,
    }, 'exact');
    // `\u00b0` in the JSON comes out as °.
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11), latencyMs: 20,
    }, 'exact');
  });

  it('embeddings: kind from the template; encoding_format is a parameter', () => {
    const list = run('embeddings');
    assert.deepEqual(kinds(list), [['Embedding Creation with {request_data[model]!r}', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: 'text-embedding-3-small', params: { encoding_format: 'base64' },
      system: null, input: [embedded(A_CAPITAL)], output: [], usage: usage(5, null, 5), costUsd: embeddingUsd(5), latencyMs: 12,
    }, 'exact');
  });

  it('error: the status message (`Type: str(error)`)', () => {
    const [c] = calls(run('error'));
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', responseModel: null, output: [], usage: NO_USAGE, costUsd: null, latencyMs: 6, error: `RateLimitError: ${PY_ERROR}`,
    }, 'exact');
  });
});
