/**
 * Records where in the user's code each span started: the first stack frame outside
 * node_modules, Node's internals and the preload, mapped through source maps (TypeScript), as
 * the `code.*` semantic-convention attributes the store places spans with.
 */
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface RawFrame {
  /** A path or a `file:` URL, as V8 names the script. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  functionName: string | null;
}

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/** True for a frame in the user's own code. */
export function isUserFile(file: string, skipFiles: ReadonlySet<string>): boolean {
  if (file === '' || file.startsWith('node:') || file.startsWith('internal/')) return false;
  // `<anonymous>`, `evalmachine.<anonymous>`, `[eval]`: no file to open.
  if (!file.includes('/') && !file.includes('\\')) return false;
  if (NODE_MODULES.test(file)) return false;
  return !skipFiles.has(file);
}

/** The first frame in the user's code, innermost first; null when there is none. */
export function pickUserFrame(frames: Iterable<RawFrame>, skipFiles: ReadonlySet<string>): RawFrame | null {
  for (const f of frames) if (isUserFile(f.file, skipFiles)) return f;
  return null;
}

export interface CodeLocation {
  path: string;
  line: number;
  column: number;
  functionName: string | null;
}

function toPath(file: string): string {
  return file.startsWith('file:') ? fileURLToPath(file) : file;
}

/** Maps a frame to its original source when Node holds a source map for its file. */
export function mapFrame(frame: RawFrame): CodeLocation {
  const map = findSourceMap(frame.file) ?? (frame.file.startsWith('file:') ? findSourceMap(toPath(frame.file)) : undefined);
  if (map) {
    const e = map.findEntry(frame.line - 1, frame.column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
    if (e.originalSource !== undefined && e.originalLine !== undefined) {
      const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : path.resolve(path.dirname(toPath(frame.file)), e.originalSource);
      return { path: src, line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1, functionName: frame.functionName };
    }
  }
  return { path: toPath(frame.file), line: frame.line, column: frame.column, functionName: frame.functionName };
}

/** Deep enough for an SDK call wrapped by an instrumentation and our tracer, shallow enough to stay cheap. */
const STACK_DEPTH = 32;

function toRaw(s: NodeJS.CallSite): RawFrame {
  return {
    file: s.getFileName() ?? '',
    line: s.getLineNumber() ?? 0,
    column: s.getColumnNumber() ?? 0,
    functionName: s.getFunctionName() || s.getMethodName() || null,
  };
}

/** Calls `pick` with the current stack as V8 call sites (before Node maps them). */
function withCallSites<T>(pick: (sites: NodeJS.CallSite[]) => T, below: (...args: never[]) => unknown): T | null {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let result: T | null = null;
  Error.prepareStackTrace = (_e, sites) => {
    result = pick(sites);
    return '';
  };
  Error.stackTraceLimit = STACK_DEPTH;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    void holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  return result;
}

/** The current stack as structured frames, innermost first. */
export function currentFrames(): RawFrame[] {
  return withCallSites((sites) => sites.map(toRaw), currentFrames) ?? [];
}

export function captureUserLocation(skipFiles: ReadonlySet<string>): CodeLocation | null {
  // The same choice as pickUserFrame, without building a frame for every call site.
  const frame = withCallSites((sites) => {
    for (const s of sites) if (isUserFile(s.getFileName() ?? '', skipFiles)) return toRaw(s);
    return null;
  }, captureUserLocation);
  return frame ? mapFrame(frame) : null;
}

/** The attributes `captureUserLocation` adds to a span. */
export function codeAttributes(loc: CodeLocation): Record<string, string | number> {
  const a: Record<string, string | number> = { 'code.file.path': loc.path, 'code.line.number': loc.line, 'code.column.number': loc.column };
  if (loc.functionName) a['code.function.name'] = loc.functionName;
  return a;
}

/** Anything with span attributes we may add to (an SDK span, ours or the program's). */
export interface AttributeTarget {
  setAttributes(attributes: Record<string, string | number>): unknown;
}

export function recordCallSite(span: AttributeTarget, skipFiles: ReadonlySet<string>): void {
  // A span that already says where it was made (set by its instrumentation) keeps that.
  const existing = (span as Partial<ReadableSpan>).attributes;
  if (existing && existing['code.file.path'] !== undefined) return;
  const loc = captureUserLocation(skipFiles);
  if (loc) span.setAttributes(codeAttributes(loc));
}

export class StackCaptureProcessor implements SpanProcessor {
  constructor(private readonly skipFiles: ReadonlySet<string>) {}
  onStart(span: Span, _parent: Context): void {
    recordCallSite(span, this.skipFiles);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
