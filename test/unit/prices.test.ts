/** The price table: snapshot names match their model, unknown variants get no price. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRICES, costOf, priceOf } from '../../src/core/normalize/prices.js';

describe('model prices', () => {
  it('matches exact names, dated snapshots, provider prefixes and Bedrock ids', () => {
    assert.equal(priceOf('gpt-4o-mini'), PRICES['gpt-4o-mini']);
    assert.equal(priceOf('gpt-4o-mini-2024-07-18'), PRICES['gpt-4o-mini']);
    assert.equal(priceOf('gpt-4o-2024-08-06'), PRICES['gpt-4o']);
    assert.equal(priceOf('openai/gpt-4.1-nano'), PRICES['gpt-4.1-nano']);
    assert.equal(priceOf('claude-3-5-sonnet-20241022'), PRICES['claude-3-5-sonnet']);
    assert.equal(priceOf('claude-3-5-sonnet-latest'), PRICES['claude-3-5-sonnet']);
    assert.equal(priceOf('us.anthropic.claude-3-5-haiku-20241022-v1:0'), PRICES['claude-3-5-haiku']);
    assert.equal(priceOf('claude-3-5-sonnet@20240620'), PRICES['claude-3-5-sonnet']);
    assert.equal(priceOf('gpt-3.5-turbo-0125'), PRICES['gpt-3.5-turbo']);
    assert.equal(priceOf('models/gemini-2.5-flash-lite'), PRICES['gemini-2.5-flash-lite']);
  });

  it('gives no price to a model it does not know, even when a known name is its prefix', () => {
    assert.equal(priceOf('gpt-4o-realtime-preview'), undefined);
    assert.equal(priceOf('my-finetune'), undefined);
    assert.equal(priceOf('llama3.1:8b'), undefined);
  });

  it('prefers user overrides', () => {
    const overrides = { 'gpt-4o-mini': { input: 1, output: 2 }, 'llama3.1:8b': { input: 0, output: 0 } };
    assert.deepEqual(priceOf('gpt-4o-mini-2024-07-18', overrides), { input: 1, output: 2 });
    assert.deepEqual(priceOf('llama3.1:8b', overrides), { input: 0, output: 0 });
  });

  it('costs a call with cached input at the cache price', () => {
    // gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out per million.
    const usd = costOf('gpt-4o-mini', { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 400, cacheWriteTokens: null });
    assert.equal(usd, (600 * 0.15 + 400 * 0.075 + 200 * 0.6) / 1e6);
    assert.equal(costOf('unknown-model', { inputTokens: 10, outputTokens: 10, cacheReadTokens: null, cacheWriteTokens: null }), null);
    assert.equal(costOf('gpt-4o', { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null }), null);
  });
});
