/**
 * What holds for every fixture span: ingest (no content) agrees with the views (content) on
 * kind, models, usage and cost; ingest parses no message JSON; kinds and their payloads agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeSpan } from '../../src/core/normalize/normalizeSpan.js';
import { costOf } from '../../src/core/normalize/prices.js';
import { embeddingUsd, fixtureNames, gpt4oMiniUsd, loadFixture, logsOf, normalizeFixture } from '../helpers/fixtures.js';

const ALL = fixtureNames();

describe('normalize: every fixture', () => {
  it('the fixture set is the one the dialect tests describe', () => {
    const byDialect: Record<string, string[]> = {};
    for (const { dialect, scenario } of ALL) (byDialect[dialect] ??= []).push(scenario);
    const six = ['chat', 'chat-nocontent', 'embeddings', 'error', 'stream', 'tools'];
    const noNoContent = ['chat', 'embeddings', 'error', 'stream', 'tools'];
    assert.deepEqual(byDialect, {
      'genai-events': ['chat', 'chat-nocontent', 'chat-span-events', 'tools', 'tools-span-events'],
      'genai-semconv': six,
      langfuse: six,
      'langfuse-openai': six,
      logfire: noNoContent,
      mlflow: noNoContent,
      openinference: six,
      openllmetry: ['chat', 'chat-nocontent', 'error', 'stream', 'tools'],
      'openllmetry-python': six,
      'vercel-ai': six,
    });
  });

  for (const { dialect, scenario } of ALL) {
    it(`${dialect}/${scenario}: ingest (no content, no logs) gives the same kind, models, usage and cost`, () => {
      const f = loadFixture(dialect, scenario);
      for (const span of f.spans) {
        const full = normalizeSpan(span, logsOf(f, span), { withContent: true });
        const ingest = normalizeSpan(span, [], { withContent: false });
        const pick = (n: typeof full) => ({
          kind: n.kind,
          provider: n.llm?.provider,
          requestModel: n.llm?.requestModel,
          responseModel: n.llm?.responseModel,
          usage: n.llm?.usage,
          costUsd: n.llm?.costUsd,
          latencyMs: n.llm?.latencyMs,
          ttftMs: n.llm?.ttftMs,
          error: n.llm?.error,
          toolName: n.tool?.name,
          toolCallId: n.tool?.callId,
        });
        assert.deepEqual(pick(ingest), pick(full), `${span.name} (${span.spanId})`);
        // Content-only fields stay empty at ingest, and the hint is only worked out for views.
        if (ingest.llm) assert.deepEqual([ingest.llm.input, ingest.llm.output, ingest.llm.system, ingest.llm.contentMissing], [[], [], null, null]);
      }
    });
  }

  it('ingest parses no prompt or answer: JSON.parse never sees the conversation text', () => {
    const parse = JSON.parse;
    const seen: string[] = [];
    JSON.parse = ((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
      seen.push(String(text));
      return parse(text, reviver);
    }) as typeof JSON.parse;
    const spans = ALL.flatMap(({ dialect, scenario }) => loadFixture(dialect, scenario).spans);
    try {
      seen.length = 0;
      for (const span of spans) normalizeSpan(span, [], { withContent: false });
    } finally {
      JSON.parse = parse;
    }
    const leaked = seen.filter((t) => /capital of France|weather in Paris|concise assistant|sunny/.test(t));
    assert.deepEqual(leaked, []);
  });

  it('a call has an LlmCall and a tool span a ToolExecution, nothing else does', () => {
    for (const { dialect, scenario } of ALL) {
      for (const { span, n } of normalizeFixture(loadFixture(dialect, scenario))) {
        const label = `${dialect}/${scenario} ${span.name}`;
        assert.equal(n.llm !== null, n.kind === 'llm' || n.kind === 'embedding', label);
        assert.equal(n.tool !== null, n.kind === 'tool', label);
      }
    }
  });

  it('costs gpt-4o-mini as (input − cached)·0.15 + cached·0.075 + output·0.60 per million, rounded to 1e-9', () => {
    assert.equal(gpt4oMiniUsd(21, 4, 9), 0.00000825);
    assert.equal(gpt4oMiniUsd(21, 0, 9), 0.00000855);
    assert.equal(gpt4oMiniUsd(42, 8, 17), 0.0000159);
    assert.equal(gpt4oMiniUsd(63, 16, 11), 0.00001485);
    assert.equal(embeddingUsd(5), 1e-7);
    const counts = (i: number, c: number, o: number) => ({ inputTokens: i, outputTokens: o, cacheReadTokens: c, cacheWriteTokens: null });
    assert.equal(costOf('gpt-4o-mini-2024-07-18', counts(21, 4, 9)), gpt4oMiniUsd(21, 4, 9));
    assert.equal(costOf('fail-model', counts(21, 4, 9)), null);
  });
});
