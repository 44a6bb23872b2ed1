/**
 * Model prices in USD per million tokens, as the providers published them on PRICES_TAKEN.
 * Prices change: users override or add models with the `spanlens.prices` setting. A model that
 * is not here (after removing a date or version suffix) gets no cost rather than a wrong one.
 */
export const PRICES_TAKEN = '2025-08-01';

export interface Price {
  input: number;
  output: number;
  /** Cached input read; defaults to the input price. */
  cacheRead?: number;
  /** Cache write (Anthropic); defaults to the input price. */
  cacheWrite?: number;
}

export const PRICES: Record<string, Price> = {
  // OpenAI
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  o1: { input: 15, output: 60, cacheRead: 7.5 },
  'o1-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Anthropic
  'claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-5-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheRead: 0.03, cacheWrite: 0.3 },
  'claude-3-opus': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  // Google (prompts up to 128k/200k tokens)
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'gemini-1.5-pro': { input: 1.25, output: 5 },
  'gemini-1.5-flash': { input: 0.075, output: 0.3 },
  // Others
  'deepseek-chat': { input: 0.27, output: 1.1, cacheRead: 0.07 },
  'deepseek-reasoner': { input: 0.55, output: 2.19, cacheRead: 0.14 },
};

// Suffixes that name a snapshot of the same model: dates, `-latest`, Bedrock `-v1:0`, `-0125`.
const SNAPSHOT = /^(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest|preview))*(?:-v\d+(?::\d+)?)?$/;

/** The price of a model by its name as the instrumentation wrote it, or undefined. */
export function priceOf(model: string, overrides: Record<string, Price> = {}): Price | undefined {
  let name = model.trim().toLowerCase();
  name = name.slice(name.lastIndexOf('/') + 1); // openai/gpt-4o, models/gemini-1.5-pro
  name = name.replace(/^(?:(?:anthropic|openai|google|meta|mistral|us|eu|apac)\.)+/, ''); // Bedrock ids
  const exact = overrides[name] ?? overrides[model] ?? PRICES[name];
  if (exact) return exact;
  let best: string | undefined;
  for (const table of [overrides, PRICES]) {
    for (const key of Object.keys(table)) {
      if (name.startsWith(key) && SNAPSHOT.test(name.slice(key.length)) && (!best || key.length > best.length)) best = key;
    }
    if (best) return table[best];
  }
  return undefined;
}

export interface TokenCounts {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

/** USD for one call; input tokens are taken to include cached ones (the GenAI convention). */
export function costOf(model: string | null, usage: TokenCounts, overrides?: Record<string, Price>): number | null {
  if (!model || (usage.inputTokens === null && usage.outputTokens === null)) return null;
  const price = priceOf(model, overrides);
  if (!price) return null;
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const plainInput = Math.max(0, (usage.inputTokens ?? 0) - cacheRead - cacheWrite);
  const usd =
    plainInput * price.input +
    cacheRead * (price.cacheRead ?? price.input) +
    cacheWrite * (price.cacheWrite ?? price.input) +
    (usage.outputTokens ?? 0) * price.output;
  // Prices are per million tokens; round to a billionth of a dollar to keep sums stable.
  return Math.round(usd * 1e3) / 1e9;
}
