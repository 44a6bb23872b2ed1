/** Commands of the trace webview: open a trace, follow the tree's selection, export as HTML. */
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { readWebviewAssets, traceHtml } from '../core/views/htmlExport.js';
import { userMessage } from './errors.js';
import type { ReceiverService } from './receiverService.js';
import type { TimelinePanel } from './timelinePanel.js';

/** A trace (and span) named by a command argument: `{ traceId, spanId? }`, as tree items also carry. */
function target(arg: unknown): { traceId: string; spanId?: string } | undefined {
  if (typeof arg === 'string') return { traceId: arg };
  const a = arg as { traceId?: unknown; spanId?: unknown } | undefined;
  if (typeof a?.traceId !== 'string') return undefined;
  return { traceId: a.traceId, spanId: typeof a.spanId === 'string' ? a.spanId : undefined };
}

export function registerTimelineCommands(extensionUri: vscode.Uri, service: ReceiverService, panel: TimelinePanel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('spanlens.openTimeline', async (arg?: unknown) => {
      const t = target(arg);
      if (!t) {
        void vscode.window.showInformationMessage('Spanlens: pick a trace in the Runs & Traces view to open its timeline.');
        return false;
      }
      return panel.show(t.traceId, t.spanId);
    }),
    vscode.commands.registerCommand('spanlens.timeline.select', (traceId: string, spanId: string) => panel.select(String(traceId), String(spanId))),
    vscode.commands.registerCommand('spanlens.exportTraceHtml', async (arg?: unknown, targetUri?: vscode.Uri) => {
      const t = target(arg);
      if (!t) return undefined;
      const uri = targetUri ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(`trace-${t.traceId}.html`), filters: { HTML: ['html'] } }));
      if (!uri) return undefined;
      try {
        const bundle = await (await service.store()).traceBundle(t.traceId);
        await writeFile(uri.fsPath, traceHtml(bundle, readWebviewAssets(vscode.Uri.joinPath(extensionUri, 'dist', 'webview').fsPath)));
      } catch (err) {
        void vscode.window.showErrorMessage(userMessage(err, `export the trace as ${uri.fsPath}`));
        return undefined;
      }
      void vscode.window.setStatusBarMessage(`Spanlens: wrote ${uri.fsPath}`, 3000);
      return uri.fsPath;
    }),
  ];
}
