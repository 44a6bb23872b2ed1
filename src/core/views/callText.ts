/**
 * One LLM call as plain text, for the diff editor and the hover, and the one-line summary of
 * what changed between two calls. Trace text is kept as written here; the surfaces that render
 * Markdown or a single line use `codeFence` and `inlineText`. Pure: no `vscode`.
 */
import { formatCost } from '../../shared/format.js';
import type { LlmCall, Message } from '../../shared/llm.js';

/** Arguments as pretty JSON when they parse, as written otherwise. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function paramText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function messageText(m: Message): string {
  const lines: string[] = [];
  const role = m.toolCallId ? `${m.role} (result of ${m.toolCallId})` : m.role;
  lines.push(`### ${role}`, '');
  if (m.content) lines.push(m.content, '');
  for (const t of m.toolCalls) {
    lines.push(`tool call ${t.name}${t.id ? ` (${t.id})` : ''}:`, prettyJson(t.arguments), '');
  }
  return lines.join('\n');
}

/** The prompt: system instructions and the input messages with their roles. */
export function promptText(call: LlmCall): string {
  const parts: string[] = [];
  if (call.system) parts.push(`### system\n\n${call.system}\n`);
  for (const m of call.input) parts.push(messageText(m));
  return parts.join('\n');
}

/** The response messages (or the error). */
export function responseText(call: LlmCall): string {
  const parts = call.output.map(messageText);
  if (call.error) parts.push(`error: ${call.error}\n`);
  return parts.join('\n');
}

function usageLines(call: LlmCall): string[] {
  const u = call.usage;
  const counts = [
    u.inputTokens !== null ? `${u.inputTokens} in` : null,
    u.outputTokens !== null ? `${u.outputTokens} out` : null,
    u.totalTokens !== null ? `${u.totalTokens} total` : null,
  ].filter((x): x is string => x !== null);
  const lines = [`tokens: ${counts.length ? counts.join(' · ') : 'unknown'}`];
  lines.push(`cost: ${call.costUsd !== null ? formatCost(call.costUsd) : 'unknown'}`);
  if (call.finishReasons.length) lines.push(`finish: ${call.finishReasons.join(', ')}`);
  return lines;
}

/** A readable document of one call: header, sorted parameters, prompt, response, tokens and cost. */
export function callText(call: LlmCall, title?: string): string {
  const model = call.responseModel ?? call.requestModel ?? 'unknown model';
  const out: string[] = [`# ${title ?? model}`, ''];
  out.push(`model: ${model}${call.requestModel && call.responseModel && call.requestModel !== call.responseModel ? ` (asked for ${call.requestModel})` : ''}`);
  out.push(`provider: ${call.provider ?? 'unknown'}`, '');
  const params = Object.keys(call.params).sort();
  if (params.length) {
    out.push('## Parameters', '');
    for (const k of params) out.push(`${k}: ${paramText(call.params[k])}`);
    out.push('');
  }
  if (call.tools.length) out.push('## Tools offered', '', call.tools.join(', '), '');
  out.push('## Prompt', '');
  out.push(call.contentMissing && !call.input.length && !call.system ? `(${call.contentMissing})\n` : promptText(call));
  out.push('## Response', '');
  out.push(call.contentMissing && !call.output.length && !call.error ? `(${call.contentMissing})\n` : responseText(call));
  out.push('## Usage', '', ...usageLines(call), '');
  return out.join('\n');
}

/** Lines added and removed from `before` to `after` (a longest common subsequence of lines). */
export function lineDiffCounts(before: string, after: string): { added: number; removed: number } {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > 4_000_000) {
    // Too large for the table: count lines by multiset instead.
    const counts = new Map<string, number>();
    for (const l of a) counts.set(l, (counts.get(l) ?? 0) + 1);
    let added = 0;
    for (const l of b) {
      const n = counts.get(l) ?? 0;
      if (n > 0) counts.set(l, n - 1);
      else added++;
    }
    return { added, removed: [...counts.values()].reduce((s, n) => s + n, 0) };
  }
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    [prev, cur] = [cur, prev];
  }
  const common = prev[b.length]!;
  return { added: b.length - common, removed: a.length - common };
}

/** `prompt +2 −1 lines, response changed, +120 tok` between a previous and a latest call. */
export function changeSummary(previous: LlmCall, latest: LlmCall): string {
  const { added, removed } = lineDiffCounts(promptText(previous), promptText(latest));
  const parts = [added || removed ? `prompt +${added} \u2212${removed} lines` : 'prompt unchanged'];
  parts.push(responseText(previous) === responseText(latest) ? 'response unchanged' : 'response changed');
  const a = previous.usage.totalTokens;
  const b = latest.usage.totalTokens;
  if (a !== null && b !== null) parts.push(b === a ? '\u00b10 tok' : b > a ? `+${b - a} tok` : `\u2212${a - b} tok`);
  return parts.join(', ');
}

/** Text cut to a few lines and characters for a hover; says so when it cut. */
export function trimText(text: string, maxLines = 6, maxChars = 500): string {
  let lines = text.split('\n');
  let cut = false;
  if (lines.length > maxLines) [lines, cut] = [lines.slice(0, maxLines), true];
  let out = lines.join('\n');
  if (out.length > maxChars) [out, cut] = [out.slice(0, maxChars), true];
  return cut ? `${out}\n…` : out;
}

/**
 * Untrusted text as a fenced Markdown code block whose fence is longer than any run of
 * backticks in it, so the text cannot close the block and become Markdown.
 */
export function codeFence(text: string, lang = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

// C0 and C1 controls, line and paragraph separators, and the bidi marks, embeddings and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE_INLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** One line of at most `max` characters, without control or bidi characters: for end-of-line text. */
export function inlineText(text: string, max = 80): string {
  const flat = text.replace(UNSAFE_INLINE, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The first non-empty line of the response, or of a tool call it asked for. */
export function responseFirstLine(call: LlmCall): string {
  for (const m of call.output) {
    const line = m.content.split('\n').find((l) => l.trim());
    if (line) return line;
    const t = m.toolCalls[0];
    if (t) return `${t.name}(${t.arguments})`;
  }
  return '';
}
