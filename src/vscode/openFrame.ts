/**
 * Opens the file a stack frame names. Frames come from other machines and containers as often as
 * from this one: an absolute path that exists is used as it is; otherwise the workspace file the
 * core's PathMap picks (as written, or the longest matching path suffix) among the files that
 * share the frame's file name.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { PathMap, toPosix } from '../core/source/pathMap.js';

async function resolve(framePath: string): Promise<vscode.Uri | undefined> {
  if (path.isAbsolute(framePath) && existsSync(framePath)) return vscode.Uri.file(framePath);
  const base = toPosix(framePath).split('/').pop();
  if (!base || /[*?{}[\]]/.test(base)) return undefined;
  const found = await vscode.workspace.findFiles(`**/${base}`, '**/node_modules/**', 50);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const paths = new PathMap(folder.uri.fsPath);
    for (const uri of found) {
      const rel = paths.relative(uri.fsPath);
      if (rel !== null) paths.add(rel);
    }
    const match = paths.find(framePath);
    if (match) return vscode.Uri.file(match.file);
  }
  return undefined;
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
