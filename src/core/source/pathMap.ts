/**
 * A path a span reports (absolute, relative to the process's working directory, or absolute on
 * another machine or in a container) to a workspace file, by the longest matching path suffix.
 */
import { existsSync } from 'node:fs';

export interface PathMatch {
  /** Absolute path of the workspace file. */
  file: string;
  /** 1 when found as written or by an unambiguous suffix; lower when several files match as well. */
  confidence: number;
}

// Basenames so common that one matching segment says little about which file was meant.
const GENERIC_BASENAMES = new Set(['__init__.py', '__main__.py', 'index.js', 'index.ts', 'index.mjs', 'index.cjs', 'index.tsx', 'index.jsx', 'main.py', 'main.js', 'main.ts']);

/** Backslashes to slashes and `file://` URLs to paths, so that every platform's spelling compares. */
export function toPosix(p: string): string {
  let s = p.trim();
  if (s.startsWith('file://')) {
    s = s.slice('file://'.length);
    try {
      s = decodeURIComponent(s);
    } catch {
      // Not percent-encoded after all: keep it as written.
    }
    if (/^\/[A-Za-z]:\//.test(s)) s = s.slice(1);
  }
  return s.replace(/\\/g, '/');
}

export function isAbsolutePosix(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:\//.test(p);
}

/** `a/./b/../c` → `a/c`; a leading `..` that cannot be resolved is dropped (the suffix still counts). */
function segmentsOf(p: string): string[] {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

export class PathMap {
  /** Basename → workspace-relative paths (posix). */
  private readonly byBase = new Map<string, Set<string>>();
  private readonly rootPosix: string;
  /** Files outside the index (too large, other languages) asked about before: a span names the same few often. */
  private readonly exists = new Map<string, boolean>();

  constructor(readonly root: string) {
    this.rootPosix = toPosix(root).replace(/\/+$/, '');
  }

  add(rel: string): void {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    let set = this.byBase.get(base);
    if (!set) this.byBase.set(base, (set = new Set()));
    set.add(rel);
  }

  remove(rel: string): void {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const set = this.byBase.get(base);
    set?.delete(rel);
    if (set?.size === 0) this.byBase.delete(base);
  }

  has(rel: string): boolean {
    return this.byBase.get(rel.slice(rel.lastIndexOf('/') + 1))?.has(rel) ?? false;
  }

  /** The workspace-relative form of an absolute path inside the root, else null. */
  relative(abs: string): string | null {
    const p = toPosix(abs);
    return p.startsWith(`${this.rootPosix}/`) ? segmentsOf(p.slice(this.rootPosix.length + 1)).join('/') : null;
  }

  private absolute(rel: string): string {
    return `${this.rootPosix}/${rel}`;
  }

  /** The workspace file a reported path names, or null when none plausibly does. */
  find(reported: string): PathMatch | null {
    const p = toPosix(reported);
    if (p === '') return null;
    if (isAbsolutePosix(p)) {
      const rel = this.relative(p);
      if (rel !== null && (this.has(rel) || this.existsOnDisk(p))) return { file: this.absolute(rel), confidence: 1 };
    } else {
      const rel = segmentsOf(p).join('/');
      if (this.has(rel)) return { file: this.absolute(rel), confidence: 1 };
    }
    return this.bySuffix(segmentsOf(p));
  }

  private existsOnDisk(p: string): boolean {
    let found = this.exists.get(p);
    if (found === undefined) {
      if (this.exists.size > 10_000) this.exists.clear();
      this.exists.set(p, (found = existsSync(p)));
    }
    return found;
  }

  private bySuffix(segs: string[]): PathMatch | null {
    const base = segs[segs.length - 1];
    const candidates = base === undefined ? undefined : this.byBase.get(base);
    if (!candidates || candidates.size === 0) return null;
    let best = 0;
    let ties: string[] = [];
    for (const rel of candidates) {
      const k = commonSuffix(segs, rel.split('/'));
      if (k > best) {
        best = k;
        ties = [rel];
      } else if (k === best) ties.push(rel);
    }
    // Deterministic pick among equals: the shallowest, then by name.
    ties.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
    const file = this.absolute(ties[0]!);
    if (ties.length > 1) return { file, confidence: Math.min(0.5, 1 / ties.length) };
    if (best === 1 && GENERIC_BASENAMES.has(base!)) return { file, confidence: 0.7 };
    return { file, confidence: 1 };
  }
}

function commonSuffix(a: string[], b: string[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
  return k;
}
