/**
 * Hovering a line that made LLM calls shows the latest call: its prompt and response (a few
 * lines each), what changed since the previous run, and links to the timeline and the diff.
 * The text comes from src/core/views/editorText.ts in two parts: the trace text, in a Markdown
 * string that is never trusted and renders no HTML, and our links, in one that may run only our
 * two commands and holds no trace text.
 */
import * as vscode from 'vscode';
import { HOVER_COMMANDS, hoverParts } from '../core/views/editorText.js';
import type { CallSiteService } from './callSiteService.js';

/** Markdown of trace text: not trusted (no command links), no HTML, no `$(icon)`. */
export function untrustedMarkdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
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
    const parts = hoverParts(site, latest, previous);
    const links = new vscode.MarkdownString(parts.links, false);
    links.supportHtml = false;
    links.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
    return new vscode.Hover([untrustedMarkdown(parts.content), links], document.lineAt(position.line).range);
  }
}
