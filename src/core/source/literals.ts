/**
 * String literals and templates of JavaScript/TypeScript and Python sources, kept as the literal
 * text between placeholders (`${…}`, f-string `{…}`, `.format` `{name}`/`{}`, `%s`), so that a
 * prompt the program built from a template can be traced back to it.
 */

export interface Literal {
  /** Literal runs between placeholders, whitespace collapsed and trimmed, none empty. */
  parts: string[];
  /** Characters in `parts`: how much literal text a match would confirm. */
  chars: number;
  /** Offset of the opening quote in the file. */
  offset: number;
}

/** Literals shorter than this can never map a prompt (a short phrase proves nothing). */
export const MIN_LITERAL_CHARS = 20;

// Placeholders of templating left inside plain strings: `{name}`, `{}`, `{0}`, `{{ name }}`, `%s`, `%(name)s`.
const PLAIN_PLACEHOLDER = /\{\{\s*[\w.]+\s*\}\}|\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}|%(?:\([\w]+\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgxXeEc]/g;

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '', f: '', v: '', '0': '' };

function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r?\n|.)/g, (_m, e: string) => {
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    if (e.length > 1 && (e[0] === 'u' || e[0] === 'x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === '\n' || e === '\r\n') return '';
    return ESCAPES[e] ?? e;
  });
}

/** Collapsed whitespace: prompts and source literals wrap and indent differently. */
export function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Pieces of literal text (already unescaped) split further at plain-string placeholders. */
function literalOf(pieces: string[], offset: number): Literal | null {
  const parts: string[] = [];
  let chars = 0;
  for (const piece of pieces) {
    for (const run of piece.split(PLAIN_PLACEHOLDER)) {
      const c = collapse(run);
      if (c === '') continue;
      parts.push(c);
      chars += c.length;
    }
  }
  return chars >= MIN_LITERAL_CHARS ? { parts, chars, offset } : null;
}

/** Where a JS regular expression may start: after an operator or an opening bracket, not after a value. */
function regexMayStart(prev: string): boolean {
  return prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev);
}

/** The literals of a JavaScript or TypeScript file, in order. */
export function scanJs(src: string): Literal[] {
  const out: Literal[] = [];
  let prev = '';
  const skipQuoted = (i: number, q: string): number => {
    let j = i + 1;
    while (j < src.length && src[j] !== q && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  // Returns the index after the closing backtick; pushes the template and nested ones.
  const template = (i: number): number => {
    const pieces: string[] = [];
    let j = i + 1;
    let start = j;
    while (j < src.length && src[j] !== '`') {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '$' && src[j + 1] === '{') {
        pieces.push(unescape(src.slice(start, j)));
        j = expression(j + 2);
        start = j;
      } else j++;
    }
    pieces.push(unescape(src.slice(start, j)));
    const lit = literalOf(pieces, i);
    if (lit) out.push(lit);
    return j + 1;
  };
  // Skips a `${…}` expression: braces, strings and nested templates; returns the index after `}`.
  const expression = (i: number): number => {
    let depth = 1;
    let j = i;
    while (j < src.length) {
      const c = src[j]!;
      if (c === '`') j = template(j);
      else if (c === '"' || c === "'") j = skipQuoted(j, c);
      else if (c === '{') (depth++, j++);
      else if (c === '}') {
        if (--depth === 0) return j + 1;
        j++;
      } else j++;
    }
    return j;
  };
  let i = 0;
  while (i < src.length) {
    const code = src.charCodeAt(i);
    // Most characters start nothing: test them by code, not as one-character strings.
    if (code !== SLASH && code !== DQUOTE && code !== SQUOTE && code !== BACKTICK) {
      if (code > 32) prev = isValueEnd(code) ? 'a' : src[i]!;
      i++;
      continue;
    }
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else if (c === '"' || c === "'") {
      const end = skipQuoted(i, c);
      const lit = literalOf([unescape(src.slice(i + 1, end - 1))], i);
      if (lit) out.push(lit);
      i = end;
      prev = 'a';
    } else if (c === '`') {
      i = template(i);
      prev = 'a';
    } else if (regexMayStart(prev)) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== '\n' && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      i = j + 1;
      prev = 'a';
    } else {
      prev = '/';
      i++;
    }
  }
  return out;
}

const SLASH = 47;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKTICK = 96;

/** Letters, digits, `_`, `$`, `)` and `]` end a value: a `/` after them divides. */
function isValueEnd(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || code === 41 || code === 93 || code > 127;
}

/** The literals of a Python file, in order. */
export function scanPython(src: string): Literal[] {
  const out: Literal[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '#') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    if (c !== '"' && c !== "'") {
      i++;
      continue;
    }
    // String prefix letters just before the quote (f, r, b, u and pairs), not the end of a name.
    let p = i;
    while (p > i - 2 && p > 0 && /[rRbBfFuU]/.test(src[p - 1]!)) p--;
    if (p > 0 && /\w/.test(src[p - 1]!)) p = i;
    const prefix = src.slice(p, i).toLowerCase();
    const quote = src.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
    let j = i + quote.length;
    while (j < src.length && !src.startsWith(quote, j) && (quote.length === 3 || src[j] !== '\n')) j += src[j] === '\\' ? 2 : 1;
    const body = src.slice(i + quote.length, Math.min(j, src.length));
    const text = prefix.includes('r') ? body : unescape(body);
    const lit = literalOf(prefix.includes('f') ? fStringPieces(text) : [text], p);
    if (lit) out.push(lit);
    i = j + quote.length;
  }
  return out;
}

/** An f-string's literal text between `{expr}` fields (`{{` and `}}` are literal braces). */
function fStringPieces(text: string): string[] {
  const pieces: string[] = [];
  let cur = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      cur += c;
      i += 2;
    } else if (c === '{') {
      pieces.push(cur);
      cur = '';
      let depth = 1;
      i++;
      while (i < text.length && depth > 0) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}') depth--;
        i++;
      }
    } else {
      cur += c;
      i++;
    }
  }
  pieces.push(cur);
  return pieces;
}

/** Literal characters of `lit` found, in order, in the (collapsed) prompt; 0 when a part is missing. */
export function matchedChars(prompt: string, lit: Pick<Literal, 'parts' | 'chars'>): number {
  let pos = 0;
  for (const part of lit.parts) {
    const at = prompt.indexOf(part, pos);
    if (at < 0) return 0;
    pos = at + part.length;
  }
  return lit.chars;
}
