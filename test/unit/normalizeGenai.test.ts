/** OTel GenAI conventions (hand-made): the latest attributes (openai-v2 experimental) and the older message events. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeSpan } from '../../src/core/normalize/normalizeSpan.js';
import {
  CHAT_IN, CHAT_OUT, type ExpectedCall, NO_USAGE, PY_ERROR, SYSTEM, TOOLS1_IN, TOOLS1_OUT, TOOLS2_IN, TOOLS2_OUT, WEATHER_RESULT,
  assertCall, calls, embeddingUsd, gpt4oMiniUsd, kinds, loadFixture, normalizeFixture, usage,
} from '../helpers/fixtures.js';

const HINT = /OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true/;

function run(dialect: string, scenario: string) {
  return normalizeFixture(loadFixture(dialect, scenario));
}

const base: ExpectedCall = {
  provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: {}, system: SYSTEM,
  input: CHAT_IN, output: CHAT_OUT, finishReasons: ['stop'], tools: [], usage: usage(21, 9, 30), costUsd: gpt4oMiniUsd(21, 0, 9),
  latencyMs: 70, ttftMs: null, error: null, contentMissing: null, convention: 'gen_ai',
};

describe('normalize: GenAI semantic conventions (hand-made)', () => {
  it('chat: parts messages, system lifted, total tokens added up (no cached/reasoning recorded)', () => {
    const list = run('genai-semconv', 'chat');
    assert.deepEqual(kinds(list), [['chat gpt-4o-mini', 'llm']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 } }, 'exact');
  });

  it('stream: no gen_ai.response.finish_reasons, so the output message’s finish_reason', () => {
    const [c] = calls(run('genai-semconv', 'stream'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2 }, latencyMs: 106 }, 'exact');
  });

  it('tools: agent, calls, execute_tool with its call id, arguments and result; the agent’s summed usage is no call', () => {
    const list = run('genai-semconv', 'tools');
    assert.deepEqual(kinds(list), [['invoke_agent WeatherAgent', 'agent'], ['chat gpt-4o-mini', 'llm'], ['execute_tool get_weather', 'tool'], ['chat gpt-4o-mini', 'llm']]);
    assert.deepEqual(list[0]!.n, { kind: 'agent', llm: null, tool: null });
    assert.deepEqual(list[2]!.n.tool, { name: 'get_weather', callId: 'call_fake_weather_1', arguments: '{"city":"Paris"}', result: WEATHER_RESULT });
    const [one, two] = calls(list);
    assertCall(one!.span, one!.llm, {
      ...base, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_calls'], usage: usage(42, 17, 59), costUsd: gpt4oMiniUsd(42, 0, 17), latencyMs: 13,
    }, 'exact');
    assertCall(two!.span, two!.llm, {
      ...base, input: TOOLS2_IN, output: TOOLS2_OUT, usage: usage(63, 11, 74), costUsd: gpt4oMiniUsd(63, 0, 11), latencyMs: 21,
    }, 'exact');
  });

  it('embeddings: no content recorded, so the capture hint', () => {
    const list = run('genai-semconv', 'embeddings');
    assert.deepEqual(kinds(list), [['embeddings text-embedding-3-small', 'embedding']]);
    const [c] = calls(list);
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'text-embedding-3-small', responseModel: 'text-embedding-3-small', system: null, input: [], output: [], finishReasons: [],
      usage: usage(5, null, 5), costUsd: embeddingUsd(5), latencyMs: 12, contentMissing: HINT,
    }, 'exact');
  });

  it('error: the status message; the input messages are kept', () => {
    const [c] = calls(run('genai-semconv', 'error'));
    assertCall(c!.span, c!.llm, {
      ...base, requestModel: 'fail-model', responseModel: null, output: [], finishReasons: [], usage: NO_USAGE, costUsd: null, latencyMs: 6, error: PY_ERROR,
    }, 'exact');
  });

  it('chat-nocontent: the hint names OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', () => {
    const [c] = calls(run('genai-semconv', 'chat-nocontent'));
    assertCall(c!.span, c!.llm, { ...base, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], contentMissing: HINT }, 'exact');
  });
});

describe('normalize: GenAI message events (hand-made)', () => {
  const events: ExpectedCall = { ...base, convention: 'gen_ai.events' };

  for (const scenario of ['chat', 'chat-span-events']) {
    it(`${scenario}: system, user and choice events (${scenario === 'chat' ? 'log records joined by span id' : 'span events, message as JSON text'})`, () => {
      const list = run('genai-events', scenario);
      assert.deepEqual(kinds(list), [['chat gpt-4o-mini', 'llm']]);
      const [c] = calls(list);
      assertCall(c!.span, c!.llm, { ...events, params: { temperature: 0.2, max_tokens: 64 } }, 'exact');
    });
  }

  for (const scenario of ['tools', 'tools-span-events']) {
    it(`${scenario}: choice tool calls, assistant tool calls, the tool message’s id is its call id`, () => {
      const list = run('genai-events', scenario);
      assert.deepEqual(kinds(list), [['answer_question', 'other'], ['chat gpt-4o-mini', 'llm'], ['chat gpt-4o-mini', 'llm']]);
      const [one, two] = calls(list);
      assertCall(one!.span, one!.llm, {
        ...events, input: TOOLS1_IN, output: TOOLS1_OUT, finishReasons: ['tool_calls'], usage: usage(42, 17, 59), costUsd: gpt4oMiniUsd(42, 0, 17), latencyMs: 13,
      }, 'exact');
      assertCall(two!.span, two!.llm, {
        ...events, input: TOOLS2_IN, output: TOOLS2_OUT, usage: usage(63, 11, 74), costUsd: gpt4oMiniUsd(63, 0, 11), latencyMs: 21,
      }, 'exact');
    });
  }

  it('chat-nocontent: records without a body are no messages, so the capture hint', () => {
    const [c] = calls(run('genai-events', 'chat-nocontent'));
    assertCall(c!.span, c!.llm, {
      ...events, params: { temperature: 0.2, max_tokens: 64 }, system: null, input: [], output: [], contentMissing: HINT,
    }, 'exact');
  });

  it('chat without its log records: the hint says to export logs too', () => {
    const f = loadFixture('genai-events', 'chat');
    const call = normalizeSpan(f.spans[0]!, [], { withContent: true }).llm!;
    assert.deepEqual([call.input, call.output, call.system], [[], [], null]);
    assert.match(call.contentMissing ?? '', /OTEL_LOGS_EXPORTER=otlp/);
  });
});
