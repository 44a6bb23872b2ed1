/**
 * The editor's own symbol providers, for spans the core's workspace index could not place:
 * `vscode.executeWorkspaceSymbolProvider` asked for the names a span (or its nearest named
 * ancestor) carries. They know every language an installed extension knows, which the core's
 * text index (JavaScript, TypeScript, Python) does not. A match is a guess, never exact.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { UnplacedName } from '../core/source/resolve.js';
import type { SourceLocation } from '../shared/source.js';

const DEFINITION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Class, vscode.SymbolKind.Constructor]);
// Providers answer slowly on large workspaces; the same names come with every run.
const CACHE_MS = 30_000;
/** A symbol found by name is at most this sure (the core's own symbol matches are capped alike). */
const MAX_CONFIDENCE = 0.85;
const INHERITED_FACTOR = 0.9;

export class SymbolLookup {
  private readonly cache = new Map<string, { at: number; symbols: Thenable<vscode.SymbolInformation[] | undefined> }>();

  /** The first of `names` that a provider defines inside `root`, or null. */
  async locate(names: UnplacedName[], root: string): Promise<SourceLocation | null> {
    for (const n of names) {
      const name = n.name.split(/[.:]+/).pop() ?? n.name;
      const symbols: vscode.SymbolInformation[] = (await Promise.resolve(this.query(name)).catch(() => undefined)) ?? [];
      const found = symbols
        .filter((s) => DEFINITION_KINDS.has(s.kind) && s.name.replace(/\(.*$/, '') === name && s.location.uri.scheme === 'file' && inside(root, s.location.uri.fsPath))
        .sort((a, b) => a.location.uri.fsPath.localeCompare(b.location.uri.fsPath) || a.location.range.start.line - b.location.range.start.line);
      const def = found[0];
      if (!def) continue;
      // Several definitions of the name: one is shown, and the confidence says it may be another.
      let confidence = found.length === 1 ? Math.min(n.weight, MAX_CONFIDENCE) : Math.min(0.5, n.weight / found.length);
      if (n.inherited) confidence *= INHERITED_FACTOR;
      const start = def.location.range.start;
      return { path: def.location.uri.fsPath, line: start.line + 1, column: start.character + 1, function: def.name, method: 'symbol', confidence: Math.round(confidence * 100) / 100, inherited: n.inherited };
    }
    return null;
  }

  private query(name: string): Thenable<vscode.SymbolInformation[] | undefined> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.symbols;
    const symbols = vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', name);
    this.cache.set(name, { at: Date.now(), symbols });
    return symbols;
  }
}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !/(^|[\\/])(node_modules|site-packages)[\\/]/.test(rel);
}
