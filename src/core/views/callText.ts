/**
 * One LLM call as plain text, for the diff editor and the hover, and the one-line summary of
 * what changed between two calls. Trace text is kept as written here (each text cut at
 * CALL_TEXT_MAX, with a note); the surfaces that render Markdown or a single line use `codeFence`,
 * `trimText` and `inlineText` (safeText.ts). Pure: no `vscode`.
 */
import { formatCost } from '../../shared/format.js';
import type { LlmCall, Message } from '../../shared/llm.js';
import { safeBlock, safeLine } from './safeText.js';

/** Longest text (a message, arguments, the system prompt) written whole; the rest is cut with a note. */
export const CALL_TEXT_MAX = 1_000_000;
/** Longest name (a role, a tool, a model, an id) written whole. */
const NAME_MAX = 10_000;

/** Text as written up to `max` characters, then a note of what was cut (a diff of megabytes would stall the editor). */
function cap(text: string, max = CALL_TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… [${(text.length - max).toLocaleString('en-US')} more characters not shown here; the timeline shows them]`;
}

/** Arguments as pretty JSON when they parse, as written otherwise. */
function prettyJson(text: string): string {
  if (text.length > CALL_TEXT_MAX) return cap(text);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function paramText(value: unknown): string {
  return cap(typeof value === 'string' ? value : JSON.stringify(value));
}

function messageText(m: Message): string {
  const lines: string[] = [];
  const role = m.toolCallId ? `${cap(m.role, NAME_MAX)} (result of ${cap(m.toolCallId, NAME_MAX)})` : cap(m.role, NAME_MAX);
  lines.push(`### ${role}`, '');
  if (m.content) lines.push(cap(m.content), '');
  for (const t of m.toolCalls) {
    lines.push(`tool call ${cap(t.name, NAME_MAX)}${t.id ? ` (${cap(t.id, NAME_MAX)})` : ''}:`, prettyJson(t.arguments), '');
  }
  return lines.join('\n');
}

/** The prompt: system instructions and the input messages with their roles. */
export function promptText(call: LlmCall): string {
  const parts: string[] = [];
  if (call.system) parts.push(`### system\n\n${cap(call.system)}\n`);
  for (const m of call.input) parts.push(messageText(m));
  return parts.join('\n');
}

/** The response messages (or the error). */
export function responseText(call: LlmCall): string {
  const parts = call.output.map(messageText);
  if (call.error) parts.push(`error: ${cap(call.error)}\n`);
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
  if (call.finishReasons.length) lines.push(`finish: ${cap(call.finishReasons.join(', '), NAME_MAX)}`);
  return lines;
}

/** A readable document of one call: header, sorted parameters, prompt, response, tokens and cost. */
export function callText(call: LlmCall, title?: string): string {
  const model = cap(call.responseModel ?? call.requestModel ?? 'unknown model', NAME_MAX);
  const out: string[] = [`# ${title ?? model}`, ''];
  out.push(`model: ${model}${call.requestModel && call.responseModel && call.requestModel !== call.responseModel ? ` (asked for ${cap(call.requestModel, NAME_MAX)})` : ''}`);
  out.push(`provider: ${cap(call.provider ?? 'unknown', NAME_MAX)}`, '');
  const params = Object.keys(call.params).sort();
  if (params.length) {
    out.push('## Parameters', '');
    for (const k of params) out.push(`${cap(k, NAME_MAX)}: ${paramText(call.params[k])}`);
    out.push('');
  }
  if (call.tools.length) out.push('## Tools offered', '', cap(call.tools.join(', ')), '');
  out.push('## Prompt', '');
  out.push(call.contentMissing && !call.input.length && !call.system ? `(${cap(call.contentMissing, NAME_MAX)})\n` : promptText(call));
  out.push('## Response', '');
  out.push(call.contentMissing && !call.output.length && !call.error ? `(${cap(call.contentMissing, NAME_MAX)})\n` : responseText(call));
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

/** Past this many characters of prompt (both calls together), lines are not counted: the summary says only whether it changed. */
const LINE_DIFF_MAX_CHARS = 1_000_000;

function messagesChars(messages: readonly Message[]): number {
  let n = 0;
  for (const m of messages) {
    n += m.content.length;
    for (const t of m.toolCalls) n += t.arguments.length + t.name.length;
  }
  return n;
}

/** Same messages, compared field by field (no text is built). */
function sameMessages(a: readonly Message[], b: readonly Message[]): boolean {
  return a.length === b.length && a.every((m, i) => {
    const o = b[i]!;
    return m.role === o.role && m.content === o.content && m.toolCallId === o.toolCallId && m.toolCalls.length === o.toolCalls.length &&
      m.toolCalls.every((t, j) => t.name === o.toolCalls[j]!.name && t.arguments === o.toolCalls[j]!.arguments && t.id === o.toolCalls[j]!.id);
  });
}

/** `prompt +2 −1 lines, response changed, +120 tok` between a previous and a latest call. */
export function changeSummary(previous: LlmCall, latest: LlmCall): string {
  const promptChars = (previous.system?.length ?? 0) + (latest.system?.length ?? 0) + messagesChars(previous.input) + messagesChars(latest.input);
  let promptPart: string;
  if (promptChars > LINE_DIFF_MAX_CHARS) {
    // A megabyte prompt would take the hover seconds to count by lines.
    promptPart = previous.system === latest.system && sameMessages(previous.input, latest.input) ? 'prompt unchanged' : 'prompt changed';
  } else {
    const { added, removed } = lineDiffCounts(promptText(previous), promptText(latest));
    promptPart = added || removed ? `prompt +${added} \u2212${removed} lines` : 'prompt unchanged';
  }
  const parts = [promptPart];
  parts.push(sameMessages(previous.output, latest.output) && previous.error === latest.error ? 'response unchanged' : 'response changed');
  const a = previous.usage.totalTokens;
  const b = latest.usage.totalTokens;
  if (a !== null && b !== null) parts.push(b === a ? '\u00b10 tok' : b > a ? `+${b - a} tok` : `\u2212${a - b} tok`);
  return parts.join(', ');
}

/** Text cut to a few lines and characters for a hover, escapes removed and invisible characters shown; says so when it cut. */
export function trimText(text: string, maxLines = 6, maxChars = 500): string {
  return safeBlock(text, maxLines, maxChars);
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

/** One line of at most `max` characters, escapes removed and invisible characters shown (safeText.ts): for end-of-line text. */
export function inlineText(text: string, max = 80): string {
  return safeLine(text, max);
}

/** Characters of a message searched for its first line: the line itself is cut to a few dozen later. */
const FIRST_LINE_WINDOW = 65_536;

/** The first non-empty line of the response, or of a tool call it asked for. */
export function responseFirstLine(call: LlmCall): string {
  for (const m of call.output) {
    const head = m.content.length > FIRST_LINE_WINDOW ? m.content.slice(0, FIRST_LINE_WINDOW) : m.content;
    const line = head.split('\n').find((l) => l.trim());
    if (line) return line;
    const t = m.toolCalls[0];
    if (t) return `${t.name.slice(0, FIRST_LINE_WINDOW)}(${t.arguments.slice(0, FIRST_LINE_WINDOW)})`;
  }
  return '';
}
