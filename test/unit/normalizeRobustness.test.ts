/** Spans no fixture has: plain HTTP and DB spans, malformed and hostile values, redaction, providers, errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeProvider, normalizeSpan } from '../../src/core/normalize/normalizeSpan.js';
import { makeSpan } from '../helpers/fixtures.js';

const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };

describe('normalize: spans that are not LLM calls', () => {
  it('an HTTP client or server span is `http`, old or new attribute names', () => {
    for (const attrs of [
      { 'http.request.method': 'GET', 'url.full': 'https://example.com/a', 'http.response.status_code': 200 },
      { 'http.method': 'POST', 'http.url': 'https://example.com/b', 'http.status_code': 500 },
      { 'http.request.method': 'GET', 'http.route': '/users/:id', 'url.path': '/users/1' },
    ]) {
      assert.deepEqual(normalizeSpan(makeSpan(attrs, { kind: 2 })), { kind: 'http', llm: null, tool: null });
    }
  });

  it('a database span is `db`', () => {
    for (const attrs of [
      { 'db.system': 'postgresql', 'db.statement': 'SELECT 1' },
      { 'db.system.name': 'sqlite', 'db.query.text': 'SELECT * FROM t' },
    ]) {
      assert.deepEqual(normalizeSpan(makeSpan(attrs, { kind: 3 })), { kind: 'db', llm: null, tool: null });
    }
  });

  it('a span with nothing to go by is `other`', () => {
    assert.deepEqual(normalizeSpan(makeSpan({})), { kind: 'other', llm: null, tool: null });
    assert.deepEqual(normalizeSpan(makeSpan({ 'app.user': 'x', input: 'not input.value' })), { kind: 'other', llm: null, tool: null });
  });
});

describe('normalize: malformed and hostile values', () => {
  it('message JSON cut short (an attribute length limit) is shown as the raw text, one message per side', () => {
    const cut = '[{"role":"user","parts":[{"type":"text","content":"What is the capi';
    const out = '{"role":"assistant","parts":[';
    const call = normalizeSpan(makeSpan({ ...chat, 'gen_ai.input.messages': cut, 'gen_ai.output.messages': out })).llm!;
    assert.deepEqual(call.input, [{ role: 'user', content: cut, toolCalls: [], toolCallId: null }]);
    assert.deepEqual(call.output, [{ role: 'assistant', content: out, toolCalls: [], toolCallId: null }]);
    assert.equal(call.contentMissing, null);
    assert.equal(call.requestModel, 'gpt-4o-mini');
  });

  it('values of the wrong type are ignored, not thrown on', () => {
    const call = normalizeSpan(makeSpan({
      ...chat,
      'gen_ai.request.model': { not: 'a string' },
      'gen_ai.input.messages': 42,
      'gen_ai.output.messages': '[null, 1, "hi", {"role": "assistant"}, {"parts": "nope"}, [1, 2]]',
      'gen_ai.system_instructions': '{{{',
      'gen_ai.usage.input_tokens': 'lots',
      'gen_ai.usage.output_tokens': Number.NaN,
      'gen_ai.response.finish_reasons': 'stop',
      'gen_ai.tool.definitions': '[{"function": 3}, null, "get_time"]',
    })).llm!;
    assert.equal(call.requestModel, null);
    assert.deepEqual(call.input, []);
    assert.deepEqual(call.output.map((m) => [m.role, m.content]), [['assistant', ''], ['assistant', '1'], ['assistant', 'hi'], ['assistant', ''], ['assistant', 'nope'], ['assistant', '[1,2]']]);
    assert.equal(call.system, '{{{');
    assert.deepEqual(call.usage, { inputTokens: null, outputTokens: null, totalTokens: null, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null });
    assert.deepEqual(call.finishReasons, ['stop']);
    assert.deepEqual(call.tools, ['get_time']);
    assert.equal(call.costUsd, null);
  });

  it('nesting deeper than the stack does not blow up', () => {
    const depth = 100_000;
    let deepObject: unknown = 'leaf';
    for (let i = 0; i < depth; i++) deepObject = { parts: [deepObject] };
    const deepResult = '[{"type":"tool_result","tool_use_id":"t","content":'.repeat(depth) + '[{"type":"text","text":"leaf"}]' + '}]'.repeat(depth);
    const cases: Record<string, unknown>[] = [
      { 'gen_ai.input.messages': '['.repeat(depth) + ']'.repeat(depth) },
      { 'gen_ai.input.messages': [deepObject] },
      { 'gen_ai.input.messages': `[{"role":"user","content":${deepResult}}]` },
      { 'gen_ai.tool.call.arguments': '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), 'gen_ai.operation.name': 'execute_tool' },
      { request_data: '{"messages":' + '['.repeat(depth) + ']'.repeat(depth) + '}', response_data: '{"usage":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}' },
    ];
    for (const attrs of cases) {
      for (const withContent of [true, false]) {
        const n = normalizeSpan(makeSpan({ ...chat, ...attrs }), [], { withContent });
        assert.ok(n.kind === 'llm' || n.kind === 'tool');
      }
    }
  });

  it('huge content is read with content, and not even looked into at ingest', () => {
    const answer = 'x'.repeat(8_000_000);
    const span = makeSpan({
      ...chat,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: answer }] }]),
      'gen_ai.usage.input_tokens': 2_000_000,
    });
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = ((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
      parsed += String(text).length;
      return parse(text, reviver);
    }) as typeof JSON.parse;
    try {
      normalizeSpan(span, [], { withContent: false });
    } finally {
      JSON.parse = parse;
    }
    assert.equal(parsed, 0);
    assert.equal(normalizeSpan(span).llm!.input[0]!.content.length, answer.length);
  });

  it('thousands of indexed messages', () => {
    const attrs: Record<string, unknown> = { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini' };
    for (let i = 0; i < 5000; i++) {
      attrs[`llm.input_messages.${i}.message.role`] = i % 2 ? 'assistant' : 'user';
      attrs[`llm.input_messages.${i}.message.content`] = `m${i}`;
    }
    const call = normalizeSpan(makeSpan(attrs)).llm!;
    assert.equal(call.input.length, 5000);
    assert.equal(call.input[4999]!.content, 'm4999');
  });

  it('a reader that fails on a value costs that value, not the span', () => {
    const attrs: Record<string, unknown> = { ...chat };
    Object.defineProperty(attrs, 'gen_ai.response.model', { enumerable: true, get: () => { throw new Error('boom'); } });
    const n = normalizeSpan(makeSpan(attrs));
    assert.equal(n.kind, 'llm');
    assert.equal(n.llm!.requestModel, 'gpt-4o-mini');
  });

  it('a user message that is itself JSON stays the text it was', () => {
    const span = makeSpan(chat, {
      events: [
        { timeUnixNano: '1767225600000000000', name: 'gen_ai.user.message', attributes: { content: '[1, 2, 3]' }, droppedAttributesCount: 0 },
        { timeUnixNano: '1767225600000000000', name: 'gen_ai.user.message', attributes: { content: '{"a": 1}' }, droppedAttributesCount: 0 },
      ],
    });
    assert.deepEqual(normalizeSpan(span).llm!.input.map((m) => m.content), ['[1, 2, 3]', '{"a": 1}']);
  });

  it('an assistant message’s own id is not a tool call id', () => {
    const span = makeSpan({
      'langfuse.observation.type': 'generation',
      'langfuse.observation.model.name': 'claude-sonnet-4-20250514',
      'langfuse.observation.output': JSON.stringify({ id: 'msg_01', role: 'assistant', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn' }),
    });
    const call = normalizeSpan(span).llm!;
    assert.deepEqual(call.output, [{ role: 'assistant', content: 'Hi', toolCalls: [], toolCallId: null }]);
    assert.deepEqual(call.finishReasons, ['end_turn']);
  });
});

describe('normalize: MLflow values encoded twice', () => {
  it('a JSON string holding the JSON text is read like the JSON text, at ingest too', () => {
    const inputs = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], model: 'gpt-4o-mini' });
    const outputs = JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }], model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 } });
    const span = makeSpan({
      'mlflow.spanType': JSON.stringify('CHAT_MODEL'),
      'mlflow.spanInputs': JSON.stringify(inputs),
      'mlflow.spanOutputs': JSON.stringify(outputs),
    });
    for (const withContent of [true, false]) {
      const call = normalizeSpan(span, [], { withContent }).llm!;
      assert.deepEqual([call.requestModel, call.responseModel, call.usage.inputTokens, call.usage.outputTokens], ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 8, 2]);
      if (withContent) {
        assert.deepEqual(call.input, [{ role: 'user', content: 'Hi', toolCalls: [], toolCallId: null }]);
        assert.deepEqual([call.output[0]!.content, call.finishReasons], ['Hello', ['stop']]);
      }
    }
  });
});

describe('normalize: redaction, providers and errors', () => {
  it('__REDACTED__ message contents are missing content, with the OpenInference hint', () => {
    const call = normalizeSpan(makeSpan({
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'input.value': '__REDACTED__',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': '__REDACTED__',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': '__REDACTED__',
    })).llm!;
    assert.deepEqual(call.input, [{ role: 'user', content: '', toolCalls: [], toolCallId: null }]);
    assert.match(call.contentMissing ?? '', /OPENINFERENCE_HIDE_INPUTS/);
  });

  it('outputs hidden but inputs recorded: content is there, no hint', () => {
    const call = normalizeSpan(makeSpan({
      'openinference.span.kind': 'LLM',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'Hello',
      'output.value': '__REDACTED__',
    })).llm!;
    assert.deepEqual([call.input.length, call.output.length, call.contentMissing], [1, 0, null]);
  });

  it('provider ids lose the Vercel API suffix; GenAI values with dots stay', () => {
    assert.equal(normalizeProvider('openai.chat'), 'openai');
    assert.equal(normalizeProvider('openai.responses'), 'openai');
    assert.equal(normalizeProvider('anthropic.messages'), 'anthropic');
    assert.equal(normalizeProvider('google.generative-ai'), 'google');
    assert.equal(normalizeProvider('aws.bedrock'), 'aws.bedrock');
    assert.equal(normalizeProvider('az.ai.inference'), 'az.ai.inference');
    assert.equal(normalizeProvider('OpenAI'), 'openai');
    assert.equal(normalizeProvider(undefined), null);
  });

  it('an error without a status message: the exception as `Type: message`, not repeated when the message starts with it', () => {
    const exception = (type: string, message: string) => ({ timeUnixNano: '1767225600000500000', name: 'exception', attributes: { 'exception.type': type, 'exception.message': message }, droppedAttributesCount: 0 });
    const error = { code: 'error' as const, message: '' };
    assert.equal(normalizeSpan(makeSpan(chat, { status: error, events: [exception('TimeoutError', 'timed out')] })).llm!.error, 'TimeoutError: timed out');
    assert.equal(normalizeSpan(makeSpan(chat, { status: error, events: [exception('ValueError', 'ValueError: bad')] })).llm!.error, 'ValueError: bad');
    assert.equal(normalizeSpan(makeSpan({ ...chat, 'error.type': 'RateLimitError' }, { status: error })).llm!.error, 'RateLimitError');
    assert.equal(normalizeSpan(makeSpan(chat, { status: error })).llm!.error, 'error');
    assert.equal(normalizeSpan(makeSpan(chat, { status: { code: 'error', message: 'boom' } })).llm!.error, 'boom');
  });
});
