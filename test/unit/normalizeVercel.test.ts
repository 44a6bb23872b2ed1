/** Vercel AI SDK 6 telemetry, captured: only doGenerate/doStream/doEmbed are calls, the outer spans are chains. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A_CAPITAL, CHAT_IN, CHAT_OUT, ERROR_MESSAGE, type ExpectedCall, NO_USAGE, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT, WEATHER_RESULT,
  assertCall, calls, embedded, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

function run(scenario: string) {
  return normalizeFixture(loadFixture('vercel-ai', scenario));
}

const base: ExpectedCall = {
  provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4, reasoningTokens: 2 }),
  costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 0, ttftMs: null, error: null, contentMissing: null, convention: 'vercel-ai',
};

describe('normalize: Vercel AI SDK (captured)', () => {
  it('chat: doGenerate is the call (provider `openai.chat` → `openai`), ai.generateText a chain without a call', () => {
    const list = run('chat');
    assert.deepEqual(kinds(list), [['ai.generateText.doGenerate', 'llm'], ['ai.generateText', 'chain']]);
    assert.deepEqual(list[1]!.n, { kind: 'chain', llm: null, tool: null });
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'captured');
  });

  it('stream: time to first token is ai.response.msToFirstChunk', () => {
    const list = run('stream');
    assert.deepEqual(kinds(list), [['ai.streamText.doStream', 'llm'], ['ai.streamText', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2 }, ttftMs: 60 }, 'captured');
    assert.equal(c!.llm.ttftMs, c!.span.attributes['ai.response.msToFirstChunk']);
  });

  it('tools: two steps with their own usage (the summed usage of the root is not a call), `tool-calls` kept, the ai.toolCall span', () => {
    const list = run('tools');
    assert.deepEqual(kinds(list), [
      ['ai.generateText.doGenerate', 'llm'], ['ai.toolCall', 'tool'], ['ai.generateText.doGenerate', 'llm'], ['ai.generateText', 'chain'],
    ]);
    assert.deepEqual(list[1]!.n.tool, { name: 'get_weather', callId: 'call_fake_weather_1', arguments: '{"city":"Paris"}', result: WEATHER_RESULT });
    const [one, two] = calls(list);
    // ai.response.toolCalls holds the arguments as a JSON string inside JSON: read as that string.
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool-calls'], tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17),
    }, 'captured');
    // The tool-result part's `output: { type: 'json', value }` shows the value.
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11),
    }, 'captured');
  });

  it('embeddings: doEmbed is the call, its JSON-quoted values unquoted; ai.embed a chain', () => {
    const list = run('embeddings');
    assert.deepEqual(kinds(list), [['ai.embed.doEmbed', 'embedding'], ['ai.embed', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: null, system: null, input: [embedded(A_CAPITAL)], output: [],
      finishReasons: [], usage: usage(5, null, 5), costUsd: embeddingUsd(5),
    }, 'captured');
  });

  it('error: the status message on the call; both spans keep their kind', () => {
    const list = run('error');
    assert.deepEqual(kinds(list), [['ai.generateText.doGenerate', 'llm'], ['ai.generateText', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', responseModel: null, params: { temperature: 0.2 }, output: [], finishReasons: [],
      usage: NO_USAGE, costUsd: null, error: ERROR_MESSAGE,
    }, 'captured');
  });

  it('chat-nocontent: the hint names recordInputs / recordOutputs', () => {
    const list = run('chat-nocontent');
    assert.deepEqual(kinds(list), [['ai.generateText.doGenerate', 'llm'], ['ai.generateText', 'chain']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], contentMissing: /recordInputs/,
    }, 'captured');
  });
});
