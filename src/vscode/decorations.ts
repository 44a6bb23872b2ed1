/**
 * End-of-line text on lines that made LLM calls, like inline blame: the latest call's status and
 * the first line of its response (or its error). One pair of decoration types per configuration,
 * applied to the visible editors only.
 */
import * as vscode from 'vscode';
import type { CallSite } from '../core/source/callSites.js';
import { decorationText } from '../core/views/editorText.js';
import type { CallSiteService } from './callSiteService.js';
import { EDITOR_SECTION, editorConfig } from './config.js';

interface Types {
  muted: vscode.TextEditorDecorationType;
  error: vscode.TextEditorDecorationType;
}

function createTypes(): Types {
  const after = { margin: '0 0 0 3em', fontStyle: 'italic' };
  return {
    muted: vscode.window.createTextEditorDecorationType({ after: { ...after, color: new vscode.ThemeColor('editorCodeLens.foreground') }, rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen }),
    error: vscode.window.createTextEditorDecorationType({ after: { ...after, color: new vscode.ThemeColor('errorForeground') }, rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen }),
  };
}

export class CallSiteDecorations implements vscode.Disposable {
  private types: Types | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly sites: CallSiteService) {
    this.configure();
    this.disposables.push(
      sites.onDidChangeSites(() => this.updateSoon()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.updateSoon()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(EDITOR_SECTION) && this.configure()),
    );
  }

  private configure(): void {
    const enabled = editorConfig().inlineDecorations;
    if (enabled && !this.types) this.types = createTypes();
    else if (!enabled && this.types) {
      this.types.muted.dispose();
      this.types.error.dispose();
      this.types = undefined;
    }
    this.updateSoon();
  }

  private updateSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), 50);
  }

  private async update(): Promise<void> {
    this.timer = undefined;
    const types = this.types;
    if (!types) return;
    const generation = ++this.generation;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme !== 'file') continue;
      const sites = this.sites.sites(editor.document.uri.fsPath).filter((s) => s.line <= editor.document.lineCount);
      const texts = await Promise.all(sites.map((s) => this.text(s)));
      if (generation !== this.generation || this.types !== types) return;
      const muted: vscode.DecorationOptions[] = [];
      const errors: vscode.DecorationOptions[] = [];
      sites.forEach((s, i) => {
        const end = editor.document.lineAt(s.line - 1).range.end;
        const { text, error } = texts[i]!;
        (error ? errors : muted).push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } });
      });
      editor.setDecorations(types.muted, muted);
      editor.setDecorations(types.error, errors);
    }
  }

  /** `✓ The 7:00 to Stone Town.` or `✗ rate limited`, one safe line (editorText.ts). */
  private async text(site: CallSite): Promise<{ text: string; error: boolean }> {
    return decorationText(site, await this.sites.detail(site.latest.traceId, site.latest.spanId).catch(() => undefined));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.types?.muted.dispose();
    this.types?.error.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
