/** MLflow 3.x autolog (hand-made): every attribute value JSON-encoded, the call as kwargs and the ChatCompletion dump. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A_CAPITAL, CHAT_IN, CHAT_OUT, type ExpectedCall, NO_USAGE, PY_ERROR, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT, WEATHER_RESULT,
  assertCall, calls, embedded, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

function run(scenario: string) {
  return normalizeFixture(loadFixture('mlflow', scenario));
}

// MLflow records no provider (mlflow.message.format names a message format, not who served the call).
const base: ExpectedCall = {
  provider: null, requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4, reasoningTokens: 2 }),
  costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 69, ttftMs: null, error: null, contentMissing: null, convention: 'mlflow',
};

describe('normalize: MLflow (hand-made)', () => {
  it('chat: JSON-quoted span type and model unquoted; cached and reasoning tokens from the response dump', () => {
    const list = run('chat');
    assert.deepEqual(kinds(list), [['answer_question', 'chain'], ['Completions', 'llm']]);
    assert.equal(list[0]!.n.llm, null);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'exact');
  });

  it('stream: the first mlflow.chunk.item event is the time to first token; stream_options is no parameter', () => {
    const [c] = calls(run('stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, stream: true }, latencyMs: 106, ttftMs: 60 }, 'exact');
  });

  it('tools: mlflow.chat.tools names, tool calls in the dump, the TOOL span with its function name', () => {
    const list = run('tools');
    assert.deepEqual(kinds(list), [['answer_question', 'chain'], ['Completions', 'llm'], ['get_weather', 'tool'], ['Completions', 'llm']]);
    // Python's json.dumps spacing is re-written compact, like every other convention's.
    assert.deepEqual(list[2]!.n.tool, { name: 'get_weather', callId: null, arguments: '{"city":"Paris"}', result: WEATHER_RESULT });
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_calls'], tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8, reasoningTokens: 5 }), costUsd: gpt4oMiniUsd(42, 8, 17), latencyMs: 13,
    }, 'exact');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16, reasoningTokens: 0 }), costUsd: gpt4oMiniUsd(63, 16, 11), latencyMs: 21,
    }, 'exact');
  });

  it('embeddings: usage from the outputs (no token-usage attribute); the vector is not a message', () => {
    const list = run('embeddings');
    assert.deepEqual(kinds(list), [['Embeddings', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: 'text-embedding-3-small', system: null, input: [embedded(A_CAPITAL)], output: [],
      finishReasons: [], usage: usage(5, null, 5), costUsd: embeddingUsd(5), latencyMs: 12,
    }, 'exact');
  });

  it('error: no status message, so the exception event as `Type: message`', () => {
    const [c] = calls(run('error'));
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', responseModel: null, output: [], finishReasons: [], usage: NO_USAGE, costUsd: null, latencyMs: 6,
      error: `RateLimitError: ${PY_ERROR}`,
    }, 'exact');
  });
});
