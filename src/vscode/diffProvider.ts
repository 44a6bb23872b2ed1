/**
 * Read-only documents of single LLM calls (`spanlens:/call/<traceId>/<spanId>.txt`), rendered by
 * `callText`, so that two calls of the same line of code open side by side in the diff editor.
 * Plain text on purpose: as Markdown, a `[x](command:…)` link in a prompt would become a document
 * link that a Ctrl+click runs; the plain text editor links only http(s) and file URLs.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { callDocumentText } from '../core/views/editorText.js';
import type { CallSiteService } from './callSiteService.js';
import { userMessage } from './errors.js';

export const CALL_SCHEME = 'spanlens';

export interface CallRef {
  traceId: string;
  spanId: string;
}

export function callUri(call: CallRef): vscode.Uri {
  return vscode.Uri.from({ scheme: CALL_SCHEME, path: `/call/${call.traceId}/${call.spanId}.txt` });
}

/** The call a `spanlens:` URI names, if it names one. */
export function callOfUri(uri: vscode.Uri): CallRef | undefined {
  const m = /^\/call\/([0-9a-zA-Z]+)\/([0-9a-zA-Z]+)\.txt$/.exec(uri.path);
  return m ? { traceId: m[1]!, spanId: m[2]! } : undefined;
}

export class CallDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly sites: CallSiteService) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = callOfUri(uri);
    if (!ref) return `Spanlens: ${uri.toString()} names no call.\n`;
    try {
      return callDocumentText(await this.sites.detail(ref.traceId, ref.spanId));
    } catch (err) {
      return `${userMessage(err, `read span ${ref.spanId} of trace ${ref.traceId}`)}\n`;
    }
  }
}

/** Opens the diff editor: the previous run's call on the left, the latest on the right. */
export async function openCallDiff(previous: CallRef, latest: CallRef, where: { path: string; line: number }): Promise<void> {
  const title = `Spanlens: previous \u2194 latest (${path.basename(where.path)}:${where.line})`;
  await vscode.commands.executeCommand('vscode.diff', callUri(previous), callUri(latest), title, { preview: true });
}

export function registerCallDocuments(sites: CallSiteService): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(CALL_SCHEME, new CallDocumentProvider(sites));
}
