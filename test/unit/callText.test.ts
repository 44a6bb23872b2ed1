/** One LLM call as text, the change summary between two calls, and the escaping helpers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callText, changeSummary, codeFence, inlineText, lineDiffCounts, promptText, responseFirstLine, trimText } from '../../src/core/views/callText.js';
import type { LlmCall } from '../../src/shared/llm.js';

function llm(extra: Partial<LlmCall> = {}): LlmCall {
  return {
    provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', params: { temperature: 0.2, max_tokens: 100 },
    system: 'You are terse.',
    input: [{ role: 'user', content: 'Which ferry leaves first?', toolCalls: [], toolCallId: null }],
    output: [{ role: 'assistant', content: 'The 7:00 to Stone Town.\nThen the 9:30.', toolCalls: [], toolCallId: null }],
    finishReasons: ['stop'], tools: [],
    usage: { inputTokens: 31, outputTokens: 12, totalTokens: 43, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null },
    costUsd: 0.0004, latencyMs: 1200, ttftMs: null, error: null, contentMissing: null, convention: 'gen_ai', ...extra,
  };
}

describe('callText', () => {
  it('writes header, sorted parameters, system, prompt with roles, response, tokens and cost', () => {
    const text = callText(llm());
    assert.match(text, /^# gpt-4o-mini-2024-07-18\n/);
    assert.match(text, /model: gpt-4o-mini-2024-07-18 \(asked for gpt-4o-mini\)\nprovider: openai/);
    assert.ok(text.indexOf('max_tokens: 100') < text.indexOf('temperature: 0.2'), 'parameters sorted');
    assert.match(text, /### system\n\nYou are terse\./);
    assert.match(text, /### user\n\nWhich ferry leaves first\?/);
    assert.ok(text.indexOf('## Prompt') < text.indexOf('## Response'));
    assert.match(text, /## Response\n\n### assistant\n\nThe 7:00 to Stone Town\./);
    assert.match(text, /tokens: 31 in · 12 out · 43 total\ncost: \$0\.0004/);
  });

  it('pretty-prints tool call arguments and marks tool results', () => {
    const text = callText(llm({
      input: [
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'timetable', arguments: '{"port":"Dar","day":1}' }], toolCallId: null },
        { role: 'tool', content: '7:00, 9:30', toolCalls: [], toolCallId: 'c1' },
      ],
    }));
    assert.match(text, /tool call timetable \(c1\):\n\{\n {2}"port": "Dar",\n {2}"day": 1\n\}/);
    assert.match(text, /### tool \(result of c1\)\n\n7:00, 9:30/);
    assert.match(callText(llm({ output: [{ role: 'assistant', content: '', toolCalls: [{ id: null, name: 'f', arguments: 'not json' }], toolCallId: null }] })), /tool call f:\nnot json/);
  });

  it('says why content is missing, and shows an error', () => {
    const text = callText(llm({ system: null, input: [], output: [], contentMissing: 'capture is off', error: 'rate limited', usage: { ...llm().usage, totalTokens: null, inputTokens: null, outputTokens: null }, costUsd: null }));
    assert.match(text, /## Prompt\n\n\(capture is off\)/);
    assert.match(text, /error: rate limited/);
    assert.match(text, /tokens: unknown\ncost: unknown/);
  });
});

describe('changeSummary', () => {
  it('counts prompt lines added and removed, says whether the response changed, and the token delta', () => {
    const before = llm();
    const after = llm({
      input: [{ role: 'user', content: 'Which ferry leaves first?\nFrom Dar.\nOn Monday.', toolCalls: [], toolCallId: null }],
      output: [{ role: 'assistant', content: 'The 9:30.', toolCalls: [], toolCallId: null }],
      usage: { ...llm().usage, totalTokens: 163 },
    });
    assert.equal(changeSummary(before, after), 'prompt +2 \u22120 lines, response changed, +120 tok');
    assert.equal(changeSummary(after, before), 'prompt +0 \u22122 lines, response changed, \u2212120 tok');
    assert.equal(changeSummary(before, llm()), 'prompt unchanged, response unchanged, \u00b10 tok');
    assert.equal(changeSummary(before, llm({ system: 'You are verbose.', usage: { ...llm().usage, totalTokens: null } })), 'prompt +1 \u22121 lines, response unchanged');
  });

  it('counts a longest common subsequence of lines, and falls back for huge texts', () => {
    assert.deepEqual(lineDiffCounts('a\nb\nc', 'a\nx\nc\nd'), { added: 2, removed: 1 });
    const big = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n');
    assert.deepEqual(lineDiffCounts(big, `${big}\nextra`), { added: 1, removed: 0 });
    assert.ok(promptText(llm()).includes('Which ferry'));
  });
});

describe('escaping helpers', () => {
  it('fences text with more backticks than any run in it', () => {
    assert.equal(codeFence('plain'), '```text\nplain\n```');
    const hostile = 'x ```` y\n```\n[link](command:evil)';
    const fenced = codeFence(hostile);
    assert.ok(fenced.startsWith('`````text\n') && fenced.endsWith('\n`````'));
  });

  it('makes one safe line: no newlines, controls or bidi overrides, at most 80 characters', () => {
    // Bidi controls are shown, not dropped (src/core/views/safeText.ts).
    assert.equal(inlineText('a\nb\r\tc\u202eevil\u2066d\u0007'), 'a b c[U+202E]evil[U+2066]d');
    const long = inlineText('x'.repeat(200));
    assert.equal(long.length, 80);
    assert.ok(long.endsWith('…'));
  });

  it('trims long text for hovers and takes the response first line', () => {
    assert.equal(trimText('1\n2\n3\n4', 2), '1\n2\n…');
    assert.equal(trimText('abcdef', 6, 3), 'abc\n…');
    assert.equal(trimText('short'), 'short');
    assert.equal(responseFirstLine(llm()), 'The 7:00 to Stone Town.');
    assert.equal(responseFirstLine(llm({ output: [{ role: 'assistant', content: '', toolCalls: [{ id: null, name: 'f', arguments: '{}' }], toolCallId: null }] })), 'f({})');
    assert.equal(responseFirstLine(llm({ output: [] })), '');
  });
});
