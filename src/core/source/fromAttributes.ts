/**
 * Source locations from OpenTelemetry `code.*` attributes, in the current spelling
 * (`code.file.path`, `code.line.number`, …) and the older one (`code.filepath`, `code.lineno`, …).
 */
import type { AttrValue, Attributes } from '../model.js';
import type { SourceLocation } from '../../shared/source.js';
import { isLibraryFrame } from './fromStack.js';
import type { PathMap } from './pathMap.js';

function text(v: AttrValue | undefined): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A positive whole number; int64 values may arrive as decimal strings. */
function whole(v: AttrValue | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

export interface CodeAttributes {
  file: string | null;
  line: number | null;
  column: number | null;
  /** As the span names it: `ns.fn` for the older pair, the (often qualified) name otherwise. */
  function: string | null;
}

export function codeAttributes(a: Attributes): CodeAttributes {
  const fn = text(a['code.function.name']) ?? text(a['code.function']);
  const ns = text(a['code.namespace']);
  return {
    file: text(a['code.file.path']) ?? text(a['code.filepath']),
    line: whole(a['code.line.number']) ?? whole(a['code.lineno']),
    column: whole(a['code.column.number']) ?? whole(a['code.column']),
    function: fn && ns && !fn.startsWith(`${ns}.`) ? `${ns}.${fn}` : fn,
  };
}

/**
 * The location the attributes name, when their file is in the workspace. A file without a line
 * points at its top, which is not where the span was made: the caller may do better by name.
 */
export function fromAttributes(a: Attributes, paths: PathMap): SourceLocation | null {
  if (a['code.file.path'] === undefined && a['code.filepath'] === undefined) return null;
  const code = codeAttributes(a);
  // A library's own file is where the library made the span, not the user's call: other methods do better.
  if (!code.file || isLibraryFrame(code.file)) return null;
  const match = paths.find(code.file);
  if (!match) return null;
  if (code.line === null) return { path: match.file, line: 1, column: null, function: code.function, method: 'attribute', confidence: Math.min(match.confidence, 0.5), inherited: false };
  return { path: match.file, line: code.line, column: code.column, function: code.function, method: 'attribute', confidence: match.confidence, inherited: false };
}
