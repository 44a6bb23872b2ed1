/** Short human forms shared by the tree, the timeline and the exported page. */
import type { LlmCall } from './llm.js';

/** `850 ms`, `1.2 s`, `2 m 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} m ${Math.round((ms - m * 60_000) / 1000)} s`;
}

/** `$0.0004`, `$1.23`: enough digits to tell small calls apart. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toPrecision(1)}`;
  return `$${usd.toFixed(2)}`;
}

/** `gpt-4o-mini · 1.2 s · 43 tok · $0.0004`; parts that are unknown are left out. */
export function callSummary(call: Pick<LlmCall, 'requestModel' | 'responseModel' | 'usage' | 'costUsd'> | null, durationMs: number): string {
  const parts: string[] = [];
  const model = call?.responseModel ?? call?.requestModel;
  if (model) parts.push(model);
  parts.push(formatDuration(durationMs));
  const tokens = call?.usage.totalTokens ?? null;
  if (tokens !== null) parts.push(`${tokens} tok`);
  if (call?.costUsd !== null && call?.costUsd !== undefined) parts.push(formatCost(call.costUsd));
  return parts.join(' · ');
}
