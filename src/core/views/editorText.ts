/**
 * What the editor surfaces say about a line that made LLM calls: the CodeLens title, the hover's
 * Markdown, the end-of-line text and the "calls of this line" quick pick items. Decided here,
 * without VS Code; src/vscode/{codeLens,hover,decorations,sourceCommands}.ts only hand it over.
 *
 * Trace text is untrusted. One-line surfaces get `safeLine` (and `escapeIcons` where VS Code
 * draws `$(icon)`); the hover puts trace text only in code fences or escaped, in a Markdown part
 * of its own that is never trusted; our command links go in a separate part that holds no trace
 * text, so even a slip in escaping cannot make trace text a working `command:` link.
 */
import type { CallSite, LocatedCall } from '../source/callSites.js';
import type { LlmCall } from '../../shared/llm.js';
import { confidenceLabel } from '../../shared/source.js';
import type { SpanDetail } from '../../shared/traceView.js';
import { formatDuration } from '../../shared/format.js';
import { callText, changeSummary, codeFence, inlineText, responseFirstLine, trimText } from './callText.js';
import { escapeIcons, safeLine } from './safeText.js';
import { escapeMarkdown, shortTime } from './treeModel.js';

/** Longest CodeLens title; the summary in it is cut first. */
export const LENS_TITLE_MAX = 160;
const LENS_SUMMARY_MAX = 100;
/** Longest end-of-line text. */
export const DECORATION_MAX = 80;
/** Longest quick pick label, description and detail. */
export const PICK_TEXT_MAX = 160;
const MESSAGES_SHOWN = 3;

/** The only commands a hover link may run. */
export const HOVER_COMMANDS = ['spanlens.openTimeline', 'spanlens.compareWithPrevious'] as const;
type HoverCommand = (typeof HOVER_COMMANDS)[number];

export function commandLink(command: HoverCommand, arg: unknown): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([arg]))}`;
}

/** `gpt-4o-mini · 1.2 s · 43 tok · $0.0004 · 3 calls in last run · likely`: one line, icons escaped. */
export function lensTitle(site: CallSite): string {
  return escapeIcons(lensText(site));
}

/** The lens title before its icons are escaped (the hover shows it as escaped Markdown). */
function lensText(site: CallSite): string {
  const parts = [safeLine(site.latest.summary, LENS_SUMMARY_MAX)];
  if (site.latest.error) parts.push('error');
  const n = site.latestRun.length;
  parts.push(`${n} call${n === 1 ? '' : 's'} in last run`);
  const sure = confidenceLabel(site.latest.location.confidence);
  if (sure !== 'exact') parts.push(sure);
  return safeLine(parts.join(' · '), LENS_TITLE_MAX);
}

/** The two Markdown parts of the hover: `content` (trace text, never trusted) and `links` (our commands, no trace text). */
export interface HoverParts {
  content: string;
  links: string;
}

function messagesMarkdown(out: string[], heading: string, call: LlmCall, which: 'input' | 'output'): void {
  const list = which === 'input' ? call.input : call.output;
  const shown = which === 'input' ? list.slice(-MESSAGES_SHOWN) : list.slice(0, MESSAGES_SHOWN);
  out.push(`**${heading}**${which === 'input' && list.length > shown.length ? ` (last ${shown.length} of ${list.length} messages)` : ''}\n\n`);
  if (which === 'input' && call.system && list.length <= MESSAGES_SHOWN) out.push(`_system_\n\n${codeFence(trimText(call.system, 3, 300))}\n\n`);
  for (const m of shown) {
    // Tool calls are bounded before they are joined: arguments can be megabytes.
    const tools = m.toolCalls.slice(0, MESSAGES_SHOWN).map((t) => `${t.name.slice(0, 200)}(${t.arguments.slice(0, 600)})`).join('\n');
    const text = [m.content.slice(0, 8192), tools].filter(Boolean).join('\n');
    out.push(`_${escapeMarkdown(m.role)}_\n\n${codeFence(trimText(text || '(empty)'))}\n\n`);
  }
  if (which === 'output' && call.error) out.push(`_error_\n\n${codeFence(trimText(call.error, 3, 300))}\n\n`);
  if (list.length === 0 && call.contentMissing) out.push(`${escapeMarkdown(call.contentMissing)}\n\n`);
}

/**
 * The hover of a call site: the latest call's prompt and response (a few lines each), what
 * changed since the previous run, and links to the timeline and the diff. `latest` is undefined
 * when the call is no longer in the store.
 */
export function hoverParts(site: CallSite, latest: SpanDetail | undefined, previous: SpanDetail | undefined): HoverParts {
  const out = [`**Spanlens** · ${escapeMarkdown(lensText(site))}\n\n`];
  const where = site.latest.location;
  const sure = confidenceLabel(where.confidence);
  if (sure !== 'exact' || where.inherited) {
    out.push(`_${where.inherited ? 'placed by a parent span, ' : ''}found by ${escapeMarkdown(where.method)}, ${sure}_\n\n`);
  }
  if (latest?.llm) {
    messagesMarkdown(out, 'Prompt', latest.llm, 'input');
    messagesMarkdown(out, 'Response', latest.llm, 'output');
    // Counts only: no trace text.
    if (previous?.llm) out.push(`**Since the previous run:** ${changeSummary(previous.llm, latest.llm)}\n\n`);
  } else if (!latest) out.push('_The call is no longer in the store._\n\n');
  const { traceId, spanId } = site.latest;
  const links = [`[Open in timeline](${commandLink('spanlens.openTimeline', { traceId, spanId })})`];
  if (site.previous) links.push(`[Compare with previous run](${commandLink('spanlens.compareWithPrevious', { traceId, spanId })})`);
  return { content: out.join(''), links: links.join(' · ') };
}

/** `✓ The 7:00 to Stone Town.` or `✗ rate limited`: the end-of-line text of a site, one safe line. */
export function decorationText(site: CallSite, detail: SpanDetail | undefined): { text: string; error: boolean } {
  const llm = detail?.llm;
  const message = llm?.error ?? (detail?.status.code === 'error' ? detail.status.message : null);
  // Each piece is made safe before it is joined: joining first would copy a 10 MB message whole.
  if (site.latest.error || message) return { text: inlineText(`\u2717 ${inlineText(message || 'error', DECORATION_MAX)}`, DECORATION_MAX), error: true };
  const first = llm ? inlineText(responseFirstLine(llm), DECORATION_MAX) : '';
  return { text: inlineText(`\u2713 ${first}`, DECORATION_MAX), error: false };
}

/** A quick pick item for one call of a line (VS Code draws `$(…)` in labels: trace text has its icons escaped). */
export function callPickItem(c: LocatedCall, inLatestRun: boolean, now?: Date): { label: string; description: string; detail: string } {
  return {
    label: `${c.error ? '$(error) ' : ''}${escapeIcons(safeLine(c.summary, PICK_TEXT_MAX))}`,
    description: `${shortTime(c.startTimeUnixNano, now)}${inLatestRun ? ' · last run' : ''}`,
    detail: escapeIcons(`${safeLine(c.name, PICK_TEXT_MAX)} · trace ${safeLine(c.traceId, 8).slice(0, 8)}`),
  };
}

/**
 * The read-only document of one call, for the diff editor: a header (its name on one safe line)
 * and `callText`, where the trace text is kept as written (the editor shows control and bidi
 * characters itself); the document is plain text, so nothing in it is a command link.
 */
export function callDocumentText(detail: SpanDetail): string {
  const started = new Date(Number(BigInt(detail.startTimeUnixNano) / 1_000_000n)).toISOString();
  const head = `span ${safeLine(detail.name, 200)} · ${formatDuration(detail.durationMs)} · ${started}\ntrace ${detail.traceId} · span ${detail.spanId}\n\n`;
  if (!detail.llm) return `${head}This span is not an LLM call.\n`;
  return `${head}${callText(detail.llm)}`;
}
