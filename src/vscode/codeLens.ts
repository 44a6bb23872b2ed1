/**
 * A CodeLens above each line of code that made LLM calls: the latest call's summary, how many
 * calls the latest run made there, and how sure the location is when it is not exact. Clicking
 * it opens the call in the timeline and reveals it in the Runs & Traces view. The title (one
 * line, bounded, `$(icon)` escaped) comes from src/core/views/editorText.ts.
 */
import * as vscode from 'vscode';
import type { CallSite } from '../core/source/callSites.js';
import { lensTitle } from '../core/views/editorText.js';
import type { CallSiteService } from './callSiteService.js';
import { EDITOR_SECTION, editorConfig } from './config.js';

class SiteLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly site: CallSite,
  ) {
    super(range);
  }
}

export class CallSiteLensProvider implements vscode.CodeLensProvider<SiteLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private enabled = editorConfig().codeLens;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly sites: CallSiteService) {
    this.disposables.push(
      sites.onDidChangeSites(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(EDITOR_SECTION)) return;
        this.enabled = editorConfig().codeLens;
        this.changed.fire();
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): SiteLens[] {
    if (!this.enabled || document.uri.scheme !== 'file') return [];
    return this.sites
      .sites(document.uri.fsPath)
      .filter((s) => s.line <= document.lineCount)
      .map((s) => new SiteLens(document.lineAt(s.line - 1).range, s));
  }

  /** The title is built only for lenses on screen. */
  resolveCodeLens(lens: SiteLens): SiteLens {
    const { traceId, spanId } = lens.site.latest;
    lens.command = {
      title: lensTitle(lens.site),
      tooltip: 'Open this call in the Spanlens timeline',
      command: 'spanlens.openCallSite',
      arguments: [{ traceId, spanId }],
    };
    return lens;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
