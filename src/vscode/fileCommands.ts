/** Import OTLP files into the workspace's store, and export a trace as an OTLP JSON file. */
import { readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { TraceSummary } from '../core/store/spanStore.js';
import { escapeIcons, safeLine } from '../core/views/safeText.js';
import { userMessage } from './errors.js';
import type { ReceiverService } from './receiverService.js';

function describe(t: TraceSummary): vscode.QuickPickItem & { traceId: string } {
  const when = new Date(Number(BigInt(t.startTimeUnixNano) / 1_000_000n)).toLocaleString();
  return {
    // Trace text: one bounded line, `$(icon)` shown as written.
    label: escapeIcons(safeLine(t.name)),
    description: `${escapeIcons(safeLine(t.service, 80))} · ${t.spanCount} spans${t.llmCalls ? ` · ${t.llmCalls} LLM calls` : ''}${t.errorCount ? ` · ${t.errorCount} errors` : ''}`,
    detail: `${when} · ${t.traceId}`,
    traceId: t.traceId,
  };
}

export function registerFileCommands(service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('spanlens.importFile', async (uris?: vscode.Uri[]) => {
      const files =
        uris ??
        (await vscode.window.showOpenDialog({
          canSelectMany: true,
          openLabel: 'Import',
          filters: { 'OTLP files': ['json', 'jsonl', 'ndjson', 'pb', 'bin', 'gz'], 'All files': ['*'] },
        }));
      if (!files?.length) return undefined;
      const store = await service.store();
      const summary: string[] = [];
      for (const file of files) {
        try {
          const r = await store.importOtlp(await readFile(file.fsPath));
          summary.push(`${r.spans} spans in ${r.traceIds.length} traces${r.rejected ? ` (${r.rejected} rejected)` : ''}`);
          log.info(`[import] ${file.fsPath}: ${summary.at(-1)}, ${r.logs} log records`);
        } catch (err) {
          const message = (err as Error).name === 'ImportError' ? `${file.fsPath} is not an OTLP file: ${(err as Error).message}` : userMessage(err, `import ${file.fsPath}`);
          log.error(`[import] ${message}`);
          void vscode.window.showErrorMessage(message);
        }
      }
      if (summary.length) void vscode.window.showInformationMessage(`Spanlens imported ${summary.join('; ')}.`);
      return summary;
    }),
    vscode.commands.registerCommand('spanlens.exportTrace', async (traceId?: string, target?: vscode.Uri) => {
      const store = await service.store();
      let id = traceId;
      if (!id) {
        const pick = await vscode.window.showQuickPick((await store.call('listTraces', 200)).map(describe), { placeHolder: 'Trace to export', matchOnDescription: true, matchOnDetail: true });
        id = pick?.traceId;
      }
      if (!id) return undefined;
      const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(`trace-${id}.otlp.json`), filters: { 'OTLP JSON': ['json'] } }));
      if (!uri) return undefined;
      try {
        await writeFile(uri.fsPath, await store.exportOtlp([id]));
      } catch (err) {
        void vscode.window.showErrorMessage(userMessage(err, `write ${uri.fsPath}`));
        return undefined;
      }
      void vscode.window.setStatusBarMessage(`Spanlens: exported trace ${id}`, 3000);
      return uri.fsPath;
    }),
  ];
}
