/**
 * Hovering a line that made LLM calls shows the latest call: its prompt and response (a few
 * lines each), what changed since the previous run, and links to the timeline and the diff.
 * Trace text is untrusted: it goes in code fences, and only our two commands may run.
 */
import * as vscode from 'vscode';
import { changeSummary, codeFence, trimText } from '../core/views/callText.js';
import { escapeMarkdown } from '../core/views/treeModel.js';
import type { LlmCall } from '../shared/llm.js';
import { confidenceLabel } from '../shared/source.js';
import type { CallSiteService } from './callSiteService.js';
import { lensTitle } from './codeLens.js';

const MESSAGES_SHOWN = 3;

export function commandLink(command: string, arg: unknown): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([arg]))}`;
}

function messagesMarkdown(md: vscode.MarkdownString, heading: string, call: LlmCall, which: 'input' | 'output'): void {
  const list = which === 'input' ? call.input : call.output;
  const shown = which === 'input' ? list.slice(-MESSAGES_SHOWN) : list.slice(0, MESSAGES_SHOWN);
  md.appendMarkdown(`**${heading}**`);
  if (which === 'input' && list.length > shown.length) md.appendMarkdown(` (last ${shown.length} of ${list.length} messages)`);
  md.appendMarkdown('\n\n');
  if (which === 'input' && call.system && list.length <= MESSAGES_SHOWN) md.appendMarkdown(`_system_\n\n${codeFence(trimText(call.system, 3, 300))}\n\n`);
  for (const m of shown) {
    const tools = m.toolCalls.map((t) => `${t.name}(${t.arguments})`).join('\n');
    const text = [m.content, tools].filter(Boolean).join('\n');
    md.appendMarkdown(`_${escapeMarkdown(m.role)}_\n\n${codeFence(trimText(text || '(empty)'))}\n\n`);
  }
  if (which === 'output' && call.error) md.appendMarkdown(`_error_\n\n${codeFence(trimText(call.error, 3, 300))}\n\n`);
  if (list.length === 0 && call.contentMissing) md.appendMarkdown(`${escapeMarkdown(call.contentMissing)}\n\n`);
}

export class CallSiteHoverProvider implements vscode.HoverProvider {
  constructor(private readonly sites: CallSiteService) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    if (document.uri.scheme !== 'file') return undefined;
    const site = this.sites.siteAt(document.uri.fsPath, position.line + 1);
    if (!site) return undefined;
    const { traceId, spanId } = site.latest;
    const [latest, previous] = await Promise.all([
      this.sites.detail(traceId, spanId).catch(() => undefined),
      site.previous ? this.sites.detail(site.previous.traceId, site.previous.spanId).catch(() => undefined) : undefined,
    ]);
    const md = new vscode.MarkdownString('', true);
    md.supportHtml = false;
    md.isTrusted = { enabledCommands: ['spanlens.openTimeline', 'spanlens.compareWithPrevious'] };
    md.appendMarkdown(`**Spanlens** · ${escapeMarkdown(lensTitle(site))}\n\n`);
    const where = site.latest.location;
    if (confidenceLabel(where.confidence) !== 'exact' || where.inherited) {
      md.appendMarkdown(`_${where.inherited ? 'placed by a parent span, ' : ''}found by ${where.method}, ${confidenceLabel(where.confidence)}_\n\n`);
    }
    if (latest?.llm) {
      messagesMarkdown(md, 'Prompt', latest.llm, 'input');
      messagesMarkdown(md, 'Response', latest.llm, 'output');
      if (previous?.llm) md.appendMarkdown(`**Since the previous run:** ${changeSummary(previous.llm, latest.llm)}\n\n`); // counts only: no trace text
    } else if (!latest) md.appendMarkdown('_The call is no longer in the store._\n\n');
    const links = [`[Open in timeline](${commandLink('spanlens.openTimeline', { traceId, spanId })})`];
    if (site.previous) links.push(`[Compare with previous run](${commandLink('spanlens.compareWithPrevious', { traceId, spanId })})`);
    md.appendMarkdown(links.join(' · '));
    return new vscode.Hover(md, document.lineAt(position.line).range);
  }
}
