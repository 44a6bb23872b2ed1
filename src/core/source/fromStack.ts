/**
 * Source locations from stack traces: `code.stacktrace` and exception events'
 * `exception.stacktrace`, in Node's and Python's printed forms. The frame that made the span is
 * the innermost one in the user's code, past library and runtime frames.
 */
import type { Span } from '../model.js';
import type { SourceLocation } from '../../shared/source.js';
import type { StackFrame } from '../../shared/traceView.js';
import type { PathMap } from './pathMap.js';

// Node: `    at fn (/path/file.js:10:5)` or `    at /path/file.js:10:5` (also file:// URLs).
const NODE_FRAME = /^\s*at (?:.*? \()?((?:file:\/\/)?[^():]+(?::\\[^():]+)?):(\d+):(\d+)\)?\s*$/;
// Python: `  File "/path/file.py", line 10, in fn`.
const PYTHON_FRAME = /^\s*File "([^"]+)", line (\d+)/;
const NODE_FUNCTION = /^\s*at (?:async )?(?:new )?(.+?) \(/;
const PYTHON_FUNCTION = /, in (\S+)\s*$/;

/** One printed stack line, with the file and line it names when it names one. */
export function parseFrame(text: string): StackFrame {
  const node = NODE_FRAME.exec(text);
  if (node) return { text, path: node[1]!.replace(/^file:\/\//, ''), line: Number(node[2]), column: Number(node[3]) };
  const py = PYTHON_FRAME.exec(text);
  if (py) return { text, path: py[1]!, line: Number(py[2]), column: null };
  return { text, path: null, line: null, column: null };
}

/** Frames of libraries and the runtime: never where the user's code made the span. */
export function isLibraryFrame(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return (
    /\/(?:node_modules|site-packages|dist-packages)\//.test(p) ||
    p.startsWith('node:') ||
    p.startsWith('internal/') ||
    p.startsWith('<') || // <frozen importlib._bootstrap>, <anonymous>, <string>
    p === 'native' ||
    /\/lib\/python\d[\d.]*\//.test(p)
  );
}

function functionOf(text: string): string | null {
  const fn = NODE_FUNCTION.exec(text)?.[1] ?? PYTHON_FUNCTION.exec(text)?.[1] ?? null;
  return fn === '<module>' || fn === '<anonymous>' ? null : fn;
}

/** The innermost frame of a printed stack that is a workspace file, as a location. */
export function locationFromStack(stack: string, paths: PathMap): SourceLocation | null {
  const lines = stack.split(/\r?\n/);
  const frames: StackFrame[] = [];
  let python = false;
  for (const line of lines) {
    const f = parseFrame(line);
    if (f.path === null) continue;
    if (f.column === null) python = true;
    frames.push(f);
  }
  // Python prints the outermost call first ("most recent call last"); Node the innermost.
  if (python) frames.reverse();
  for (const f of frames) {
    if (f.path === null || f.line === null || isLibraryFrame(f.path)) continue;
    const match = paths.find(f.path);
    if (!match) continue;
    return { path: match.file, line: f.line, column: f.column, function: functionOf(f.text), method: 'stack', confidence: match.confidence, inherited: false };
  }
  return null;
}

/** `code.stacktrace` first (where the span was made), then each exception's stack. */
export function fromStack(span: Span, paths: PathMap): SourceLocation | null {
  const code = span.attributes['code.stacktrace'];
  if (typeof code === 'string') {
    const loc = locationFromStack(code, paths);
    if (loc) return loc;
  }
  for (const e of span.events) {
    const stack = e.attributes['exception.stacktrace'];
    if (typeof stack !== 'string') continue;
    const loc = locationFromStack(stack, paths);
    if (loc) return loc;
  }
  return null;
}
