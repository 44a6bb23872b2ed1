/**
 * Opens the file a stack frame names. Frames come from other machines and containers as often as
 * from this one: an absolute path that exists is used as it is; otherwise the workspace file
 * whose path shares the longest suffix with it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

/** How many trailing path segments two paths share. */
export function sharedSuffix(a: string, b: string): number {
  const x = a.split(/[\\/]+/).filter(Boolean);
  const y = b.split(/[\\/]+/).filter(Boolean);
  let n = 0;
  while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
  return n;
}

async function resolve(framePath: string): Promise<vscode.Uri | undefined> {
  if (path.isAbsolute(framePath) && existsSync(framePath)) return vscode.Uri.file(framePath);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const candidate = path.join(folder.uri.fsPath, framePath);
    if (existsSync(candidate)) return vscode.Uri.file(candidate);
  }
  const base = path.basename(framePath);
  if (!base || /[*?{}[\]]/.test(base)) return undefined;
  const found = await vscode.workspace.findFiles(`**/${base}`, '**/node_modules/**', 50);
  let best: vscode.Uri | undefined;
  let bestScore = 0;
  for (const uri of found) {
    const score = sharedSuffix(uri.fsPath, framePath);
    if (score > bestScore) [best, bestScore] = [uri, score];
  }
  return best;
}

export async function openFrame(framePath: string, line: number | null, column: number | null): Promise<boolean> {
  const uri = await resolve(String(framePath));
  if (!uri) {
    void vscode.window.showWarningMessage(`Spanlens: ${framePath} is not in this workspace.`);
    return false;
  }
  const at = new vscode.Position(Math.max(0, (line ?? 1) - 1), Math.max(0, (column ?? 1) - 1));
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(at, at), preview: true });
  return true;
}
