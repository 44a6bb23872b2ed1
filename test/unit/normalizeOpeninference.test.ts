/** OpenInference (Arize) for OpenAI JS 4.2.7, captured: flattened llm.* attributes to one LlmCall. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A_CAPITAL, CHAT_IN, CHAT_OUT, type ExpectedCall, NO_USAGE, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT,
  assertCall, calls, embedded, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

function run(scenario: string) {
  return normalizeFixture(loadFixture('openinference', scenario));
}

// The request model is the invocation parameters' `model`; llm.model_name is the response's
// model when the response says one, and the request's otherwise (streams).
const base: ExpectedCall = {
  provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4, reasoningTokens: 2 }),
  costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 0, ttftMs: null, error: null, contentMissing: null, convention: 'openinference',
};

describe('normalize: OpenInference (captured)', () => {
  it('chat: INTERNAL span kind LLM; llm.finish_reason (singular); cache and reasoning token details', () => {
    const list = run('chat');
    assert.deepEqual(kinds(list), [['OpenAI Chat Completions', 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'captured');
  });

  it('stream: llm.model_name is the request model, so the response model is unknown; no token counts', () => {
    const [c] = calls(run('stream'));
    assertCall(c!.span, c!.llm, {
      ...base, responseModel: null, params: { temperature: 0.2, stream: true }, usage: NO_USAGE, costUsd: null,
    }, 'captured');
  });

  it('tools: llm.tools json schemas, flattened tool calls, the tool message with its call id', () => {
    const list = run('tools');
    assert.deepEqual(kinds(list), [['OpenAI Chat Completions', 'llm'], ['OpenAI Chat Completions', 'llm']]);
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_calls'], tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17),
    }, 'captured');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11),
    }, 'captured');
  });

  it('embeddings: embedding.model_name, the embedded text; no token counts, so no cost', () => {
    const list = run('embeddings');
    assert.deepEqual(kinds(list), [['OpenAI Embeddings', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: null, system: null, input: [embedded(A_CAPITAL)], output: [],
      finishReasons: [], usage: NO_USAGE, costUsd: null,
    }, 'captured');
  });

  it('error: only the app span is exported', () => {
    const list = run('error');
    assert.deepEqual(kinds(list), [['answer-question', 'other']]);
    assert.equal(list[0]!.n.llm, null);
  });

  it('chat-nocontent: __REDACTED__ input.value / output.value are missing content; the hint names the OPENINFERENCE_HIDE_* switches', () => {
    const [c] = calls(run('chat-nocontent'));
    assertCall(c!.span, c!.llm, {
      ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [],
      contentMissing: /OPENINFERENCE_HIDE_INPUTS.*hideInputs/,
    }, 'captured');
  });
});
