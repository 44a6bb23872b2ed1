/**
 * What source mapping knows of a workspace: its source files (for path suffixes), their
 * definitions and their long string literals. Built in slices so that the thread it runs on (the
 * store worker, the CLI) keeps answering; holds no file text once a file is indexed.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Definition, scanDefinitions } from './definitions.js';
import { collapse, matchedChars, scanJs, scanPython } from './literals.js';
import { PathMap, toPosix } from './pathMap.js';

export const SOURCE_EXTENSIONS = /\.(?:js|mjs|cjs|jsx|ts|tsx|mts|cts|py)$/;
const IGNORED_DIRS = new Set(['node_modules', 'dist', 'out', 'build', 'venv', '__pycache__', 'site-packages']);
const MAX_FILE_BYTES = 1 << 20;
/** Literals are found by the first characters of their longest part. */
const KEY_LENGTH = 10;
/** Past this, a prompt's tail is not searched (the template's text starts well before). */
const MAX_PROMPT_SCAN = 100_000;
const KEY_BITS = 1 << 20;

export interface IndexedDefinition extends Definition {
  path: string;
}

export interface IndexedLiteral {
  /** Hash of the window of its text it is found by. */
  key: number;
  path: string;
  line: number;
  column: number;
  parts: string[];
  chars: number;
}

export interface TextMatch {
  literal: IndexedLiteral;
  /** Literal characters found in the prompt. */
  chars: number;
  /** Other literals as good (as many characters matched) elsewhere. */
  ties: number;
  /** Length of the prompt with its whitespace collapsed, as matched. */
  promptLength: number;
}

interface FileEntry {
  defs: IndexedDefinition[];
  literals: IndexedLiteral[];
}

/** A copy that does not keep the whole file text alive (regex captures and slices may point into it). */
function own(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

// Keys are hashes of KEY_LENGTH characters, rolled along a prompt without making substrings.
const HASH_BASE = 31;
const HASH_TOP = (() => {
  let p = 1;
  for (let i = 1; i < KEY_LENGTH; i++) p = Math.imul(p, HASH_BASE);
  return p;
})();

function hashAt(s: string, start: number): number {
  let h = 0;
  for (let i = start; i < start + KEY_LENGTH; i++) h = (Math.imul(h, HASH_BASE) + s.charCodeAt(i)) | 0;
  return h;
}

/** 30 bits: a small integer to V8, which a Map looks up without boxing it. */
const SMALL = 0x3fffffff;

/**
 * The window of the literal's longest part that fewest literals use as their key: prompts are
 * looked up window by window, and many literals open alike ("You are the …").
 */
function keyOf(parts: string[], keys: Map<number, IndexedLiteral[]>): number | null {
  let longest = '';
  for (const p of parts) if (p.length > longest.length) longest = p;
  if (longest.length < KEY_LENGTH) return null;
  let best = hashAt(longest, 0) & SMALL;
  let bestCount = keys.get(best)?.length ?? 0;
  const step = Math.max(1, Math.floor((longest.length - KEY_LENGTH) / 32));
  for (let i = step; bestCount > 0 && i <= longest.length - KEY_LENGTH; i += step) {
    const key = hashAt(longest, i) & SMALL;
    const count = keys.get(key)?.length ?? 0;
    if (count < bestCount) [best, bestCount] = [key, count];
  }
  return best;
}

function ignoredDir(name: string): boolean {
  return name.startsWith('.') || IGNORED_DIRS.has(name);
}

export class WorkspaceIndex {
  readonly paths: PathMap;
  private readonly files = new Map<string, FileEntry>();
  private readonly defs = new Map<string, IndexedDefinition[]>();
  private readonly literals = new Map<number, IndexedLiteral[]>();
  /** A bit per key hash (never cleared): most prompt windows are turned away without a map lookup. */
  private readonly keyBits = new Uint32Array(KEY_BITS >>> 5);

  private constructor(readonly root: string) {
    this.paths = new PathMap(root);
  }

  get fileCount(): number {
    return this.files.size;
  }

  /** An index of no files: it places nothing. */
  static empty(root: string): WorkspaceIndex {
    return new WorkspaceIndex(path.resolve(root));
  }

  /**
   * Walks and indexes the workspace, yielding (setImmediate) whenever a slice has run
   * `yieldEveryMs` (default 20): a slice only overruns by the time of one file.
   */
  static async build(root: string, options: { yieldEveryMs?: number; maxFiles?: number; maxDirs?: number } = {}): Promise<WorkspaceIndex> {
    const index = new WorkspaceIndex(path.resolve(root));
    const budget = options.yieldEveryMs ?? 20;
    // Bounds for a "workspace" that is really a home folder or a disk: index a part, not all.
    const maxFiles = options.maxFiles ?? 50_000;
    let dirsLeft = options.maxDirs ?? 20_000;
    let sliceStart = performance.now();
    const pause = async (): Promise<void> => {
      if (performance.now() - sliceStart < budget) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    };
    const dirs = [index.root];
    const found: string[] = [];
    while (dirs.length > 0 && found.length < maxFiles && dirsLeft-- > 0) {
      const dir = dirs.pop()!;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // unreadable or gone: the rest of the workspace still counts
      }
      for (const e of entries) {
        if (e.isDirectory()) {
          if (!ignoredDir(e.name)) dirs.push(path.join(dir, e.name));
        } else if (e.isFile() && SOURCE_EXTENSIONS.test(e.name)) found.push(path.join(dir, e.name));
      }
      await pause();
    }
    found.sort();
    for (const file of found.slice(0, maxFiles)) {
      index.add(file);
      await pause();
    }
    return index;
  }

  /** Re-reads one file after it changed (or forgets it when it is gone or no longer a source file). */
  update(file: string): void {
    const abs = path.resolve(this.root, file);
    const rel = this.paths.relative(abs);
    if (rel === null) return;
    this.remove(abs);
    if (!SOURCE_EXTENSIONS.test(rel) || rel.split('/').slice(0, -1).some(ignoredDir)) return;
    this.add(abs);
  }

  /** What the index holds, for figures: memory goes with definitions and literal characters. */
  stats(): { files: number; definitions: number; literals: number; literalChars: number } {
    let definitions = 0;
    let literals = 0;
    let literalChars = 0;
    for (const e of this.files.values()) {
      definitions += e.defs.length;
      literals += e.literals.length;
      for (const l of e.literals) literalChars += l.chars;
    }
    return { files: this.files.size, definitions, literals, literalChars };
  }

  /** Definitions of a name, in a stable order. */
  definitions(name: string): readonly IndexedDefinition[] {
    return this.defs.get(name) ?? [];
  }

  /** The literal matching most of the prompt's text, with how many others match as well. */
  matchText(prompt: string): TextMatch | null {
    const p = collapse(prompt);
    const bits = this.keyBits;
    let seen: Set<IndexedLiteral> | null = null;
    let best: IndexedLiteral[] = [];
    let bestChars = 0;
    const last = Math.min(p.length, MAX_PROMPT_SCAN) - KEY_LENGTH;
    let h = last >= 0 ? hashAt(p, 0) : 0;
    for (let i = 0; i <= last; i++) {
      if (i > 0) h = (Math.imul((h - Math.imul(p.charCodeAt(i - 1), HASH_TOP)) | 0, HASH_BASE) + p.charCodeAt(i + KEY_LENGTH - 1)) | 0;
      const bit = h & (KEY_BITS - 1);
      if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      const candidates = this.literals.get(h & SMALL);
      if (!candidates) continue;
      seen ??= new Set();
      for (const lit of candidates) {
        if (seen.has(lit)) continue;
        seen.add(lit);
        const chars = matchedChars(p, lit);
        if (chars === 0 || chars < bestChars) continue;
        if (chars > bestChars) {
          bestChars = chars;
          best = [lit];
        } else best.push(lit);
      }
    }
    if (best.length === 0) return null;
    best.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
    return { literal: best[0]!, chars: bestChars, ties: best.length - 1, promptLength: p.length };
  }

  private add(abs: string): void {
    const rel = this.paths.relative(abs);
    if (rel === null) return;
    let src: string | null = null;
    try {
      // A large file is generated or data: known as a path, not read.
      if (statSync(abs).size <= MAX_FILE_BYTES) src = readFileSync(abs, 'utf8');
    } catch {
      return; // gone (deleted since the walk or the change event)
    }
    this.paths.add(rel);
    const file = toPosix(abs);
    const entry: FileEntry = { defs: [], literals: [] };
    this.files.set(file, entry);
    if (src === null) return;
    const python = abs.endsWith('.py');
    for (const d of scanDefinitions(src, python)) {
      // Spelled out, not spread: a spread object takes three times the memory.
      const def: IndexedDefinition = { name: own(d.name), kind: d.kind, line: d.line, column: d.column, path: file };
      entry.defs.push(def);
      push(this.defs, def.name, def);
    }
    const lines = lineStarts(src);
    for (const lit of python ? scanPython(src) : scanJs(src)) {
      const key = keyOf(lit.parts, this.literals);
      if (key === null) continue;
      const line = lineAt(lines, lit.offset);
      const indexed: IndexedLiteral = { key, path: file, line: line + 1, column: lit.offset - lines[line]! + 1, parts: lit.parts.map(own), chars: lit.chars };
      entry.literals.push(indexed);
      push(this.literals, indexed.key, indexed);
      const bit = key & (KEY_BITS - 1);
      this.keyBits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  private remove(abs: string): void {
    const file = toPosix(abs);
    const entry = this.files.get(file);
    const rel = this.paths.relative(abs);
    if (rel !== null) this.paths.remove(rel);
    if (!entry) return;
    this.files.delete(file);
    for (const d of entry.defs) drop(this.defs, d.name, d);
    for (const l of entry.literals) drop(this.literals, l.key, l);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function drop<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) return;
  const rest = list.filter((v) => v !== value);
  if (rest.length) map.set(key, rest);
  else map.delete(key);
}

function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line holding an offset. */
function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
