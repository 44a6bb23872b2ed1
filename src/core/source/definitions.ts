/**
 * Definitions a span's name may refer to, found line by line with patterns rather than a parser:
 * functions, classes and methods, and the names tracing decorators and wrappers give entities
 * (`@workflow(name="…")`, `withTask({ name: '…' })`, `functionId: '…'`).
 */

export type DefinitionKind = 'function' | 'class' | 'method' | 'entity';

export interface Definition {
  name: string;
  kind: DefinitionKind;
  /** 1-based. */
  line: number;
  column: number;
}

const ID = '[A-Za-z_$][\\w$]*';
const JS_PATTERNS: [RegExp, DefinitionKind][] = [
  [new RegExp(`^\\s*(?:export\\s+)?(?:default\\s+)?(?:async\\s+)?function\\s*\\*?\\s*(${ID})`), 'function'],
  [new RegExp(`^\\s*(?:export\\s+)?(?:const|let|var)\\s+(${ID})\\s*(?::[^=]+)?=\\s*(?:async\\s+)?(?:function\\b|\\([^)]*\\)?\\s*(?:=>|$|:)|${ID}\\s*=>|<)`), 'function'],
  [new RegExp(`^\\s*(?:export\\s+)?(?:default\\s+)?(?:abstract\\s+)?class\\s+(${ID})`), 'class'],
  [new RegExp(`^\\s*(?:(?:public|private|protected|static|async|override|readonly|get|set)\\s+)*\\*?(${ID})\\s*(?:<[^>]*>)?\\([^;]*\\)\\s*(?::\\s*[^;={]+)?\\{\\s*$`), 'method'],
  [new RegExp(`^\\s*(${ID})\\s*:\\s*(?:async\\s+)?(?:function\\b|\\([^)]*\\)\\s*=>)`), 'method'],
];
const PY_PATTERNS: [RegExp, DefinitionKind][] = [
  [/^\s*(?:async\s+)?def\s+(\w+)/, 'function'],
  [/^\s*class\s+(\w+)/, 'class'],
];
// Names given by tracing wrappers and decorators (Traceloop, Langfuse, LangSmith, Vercel AI SDK).
const ENTITY_PATTERNS: RegExp[] = [
  /^\s*@[\w.]*(?:workflow|task|agent|tool|observe|traceable|trace|span)\s*\(.*?\bname\s*=\s*["']([^"']+)["']/,
  /\bwith(?:Workflow|Task|Agent|Tool)\s*\(\s*\{[^}]*?\bname\s*:\s*["'`]([^"'`]+)["'`]/,
  /\bfunctionId\s*:\s*["'`]([^"'`$]+)["'`]/,
  /\b(?:observe|traceable)\s*\(.*?\bname\s*:\s*["'`]([^"'`]+)["'`]/,
];
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'with', 'else', 'do', 'try', 'constructor', 'super', 'new', 'typeof', 'await']);

/** Cheap test before the patterns: most lines are statements that define nothing. */
function mayDefineJs(text: string): boolean {
  return text.trimEnd().endsWith('{') || text.includes('function') || text.includes('class') || text.includes('=>') || /^\s*(?:export\s+)?(?:const|let|var)\s/.test(text);
}

export function scanDefinitions(src: string, python: boolean): Definition[] {
  const out: Definition[] = [];
  const patterns = python ? PY_PATTERNS : JS_PATTERNS;
  let line = 0;
  let start = 0;
  // A decorator names the function defined below it: that line is where the entity lives.
  let decorated: Definition[] = [];
  while (start <= src.length) {
    const nl = src.indexOf('\n', start);
    const end = nl < 0 ? src.length : nl;
    line++;
    // Long lines are minified or data: no definitions worth a regex there.
    if (end - start < 400) {
      const text = src.slice(start, end);
      for (const [re, kind] of python || mayDefineJs(text) ? patterns : []) {
        const m = re.exec(text);
        if (m && !KEYWORDS.has(m[1]!)) {
          const column = text.indexOf(m[1]!) + 1;
          for (const d of decorated) Object.assign(d, { line, column });
          decorated = [];
          out.push({ name: m[1]!, kind, line, column });
          break;
        }
      }
      if (/name|functionId/.test(text)) {
        for (const re of ENTITY_PATTERNS) {
          const m = re.exec(text);
          if (!m) continue;
          const def: Definition = { name: m[1]!.trim(), kind: 'entity', line, column: text.indexOf(m[1]!) + 1 };
          out.push(def);
          if (text.trimStart().startsWith('@')) decorated.push(def);
        }
      }
      if (decorated.length > 0 && text.trim() !== '' && !text.trimStart().startsWith('@') && !/^\s*(?:async\s+)?(?:def|class)\b/.test(text)) decorated = [];
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}
