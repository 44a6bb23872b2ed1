/** OpenLLMetry, JS 0.27 (GenAI message attributes, captured) and Python (indexed gen_ai.prompt.N, hand-made), to one LlmCall. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHAT_IN, CHAT_OUT, type ExpectedCall, NO_USAGE, PY_ERROR, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT, A_CAPITAL, WEATHER_RESULT,
  assertCall, calls, embedded, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

const HINT = /TRACELOOP_TRACE_CONTENT=true/;

function run(dialect: string, scenario: string) {
  return normalizeFixture(loadFixture(dialect, scenario));
}

describe('normalize: OpenLLMetry JS 0.27 (captured)', () => {
  // The JS instrumentation writes the OTel GenAI attributes: read as the gen_ai convention.
  const base: ExpectedCall = {
    provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
    input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30), costUsd: gpt4oMiniUsd(21, 0, 9),
    latencyMs: 0, ttftMs: null, error: null, contentMissing: null, convention: 'gen_ai',
  };

  it('chat: messages from gen_ai.input/output.messages, system lifted, no cached tokens recorded', () => {
    const list = run('openllmetry', 'chat');
    assert.deepEqual(kinds(list), [['chat gpt-4o-mini', 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'captured');
  });

  it('stream: no usage at all (the usage chunk is ignored), so no cost, and no time to first token', () => {
    const [c] = calls(run('openllmetry', 'stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2 }, usage: NO_USAGE, costUsd: null }, 'captured');
  });

  it('tools: the finish reason stays `tool_call` as written; tool definitions in OpenAI shape give the names', () => {
    const list = run('openllmetry', 'tools');
    assert.deepEqual(kinds(list), [['chat gpt-4o-mini', 'llm'], ['chat gpt-4o-mini', 'llm']]);
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_call'], tools: ['get_weather'], usage: usage(42, 17, 59), costUsd: gpt4oMiniUsd(42, 0, 17),
    }, 'captured');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'], usage: usage(63, 11, 74), costUsd: gpt4oMiniUsd(63, 0, 11),
    }, 'captured');
    assert.equal(two!.llm.input[2]!.content, WEATHER_RESULT);
  });

  it('error: only the app span is exported (the instrumentation never ends its span on an API error)', () => {
    const list = run('openllmetry', 'error');
    assert.deepEqual(kinds(list), [['answer-question', 'other']]);
    assert.deepEqual(list[0]!.n, { kind: 'other', llm: null, tool: null });
  });

  it('chat-nocontent: usage and models stay, content is missing and the hint names TRACELOOP_TRACE_CONTENT', () => {
    const [c] = calls(run('openllmetry', 'chat-nocontent'));
    assertCall(c!.span, c!.llm, {
      ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], contentMissing: HINT,
    }, 'captured');
  });
});

describe('normalize: OpenLLMetry Python (hand-made)', () => {
  const base: ExpectedCall = {
    provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
    input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30, { cacheReadTokens: 4 }),
    costUsd: gpt4oMiniUsd(21, 4, 9), latencyMs: 69, ttftMs: null, error: null, contentMissing: null, convention: 'openllmetry',
  };

  it('chat: the workflow is a chain; indexed prompts and completions; cache reads from gen_ai.usage.cache_read_input_tokens', () => {
    const list = run('openllmetry-python', 'chat');
    assert.deepEqual(kinds(list), [['answer_question.workflow', 'chain'], ['openai.chat', 'llm']]);
    assert.equal(list[0]!.n.llm, null);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'exact');
  });

  it('stream: llm.is_streaming is the stream parameter; the first chunk event gives the time to first token', () => {
    const [c] = calls(run('openllmetry-python', 'stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, stream: true }, latencyMs: 106, ttftMs: 60 }, 'exact');
  });

  it('tools: functions give the tool names, indexed tool calls and the tool result with its call id; the tool span', () => {
    const list = run('openllmetry-python', 'tools');
    assert.deepEqual(kinds(list), [['answer_question.workflow', 'chain'], ['get_weather.tool', 'tool'], ['openai.chat', 'llm'], ['openai.chat', 'llm']]);
    assert.deepEqual(list[1]!.n.tool, { name: 'get_weather', callId: null, arguments: '{"city":"Paris"}', result: WEATHER_RESULT });
    assert.equal(list[1]!.n.llm, null);
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_calls'], tools: ['get_weather'],
      usage: usage(42, 17, 59, { cacheReadTokens: 8 }), costUsd: gpt4oMiniUsd(42, 8, 17), latencyMs: 13,
    }, 'exact');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, tools: ['get_weather'],
      usage: usage(63, 11, 74, { cacheReadTokens: 16 }), costUsd: gpt4oMiniUsd(63, 16, 11), latencyMs: 21,
    }, 'exact');
  });

  it('embeddings: kind from llm.request.type, the role-less prompt is the embedded input', () => {
    const list = run('openllmetry-python', 'embeddings');
    assert.deepEqual(kinds(list), [['openai.embeddings', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: 'text-embedding-3-small', system: null, input: [embedded(A_CAPITAL)], output: [],
      finishReasons: [], usage: usage(5, null, 5), costUsd: embeddingUsd(5), latencyMs: 12,
    }, 'exact');
  });

  it('error: the status message, prompts kept, no response, no cost for an unknown model', () => {
    const [c] = calls(run('openllmetry-python', 'error'));
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', responseModel: null, output: [], finishReasons: [], usage: NO_USAGE, costUsd: null, latencyMs: 6, error: PY_ERROR,
    }, 'exact');
  });

  it('chat-nocontent: no prompts, completions or finish reason; the hint names TRACELOOP_TRACE_CONTENT', () => {
    const [c] = calls(run('openllmetry-python', 'chat-nocontent'));
    assertCall(c!.span, c!.llm, {
      ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], finishReasons: [], latencyMs: 70, contentMissing: HINT,
    }, 'exact');
  });
});
