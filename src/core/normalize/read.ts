/** Small readers over attribute maps: typed access, JSON that may be a string, and indexed keys. */
import type { AttrValue, Attributes } from '../model.js';

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A value that may hold JSON text: parsed when it does, the value itself otherwise. */
export function json(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('[') || t.startsWith('"'))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first of `keys` that is set. */
export function first(a: Attributes, ...keys: string[]): AttrValue | undefined {
  for (const k of keys) {
    const v = a[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Text for display: strings as they are, anything else as compact JSON. */
export function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    // JSON.parse reads nesting that JSON.stringify cannot write back (stack depth).
    return '[value nested too deeply to show]';
  }
}

/**
 * Flattened lists such as `gen_ai.prompt.0.role`, `gen_ai.prompt.0.tool_calls.1.name`: returns
 * one object per index, keyed by the rest of the key (`role`, `tool_calls.1.name`), in index order.
 */
export function indexed(a: Attributes, prefix: string): Record<string, AttrValue>[] {
  const out: Record<string, AttrValue>[] = [];
  const p = prefix.endsWith('.') ? prefix : `${prefix}.`;
  for (const key in a) {
    if (!key.startsWith(p)) continue;
    const rest = key.slice(p.length);
    const dot = rest.indexOf('.');
    const idx = Number(dot === -1 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(idx) || idx < 0 || idx > 10000) continue;
    (out[idx] ??= {})[dot === -1 ? '' : rest.slice(dot + 1)] = a[key]!;
  }
  return out.filter(Boolean);
}

/** Whether any attribute key starts with `prefix`. */
export function hasPrefix(a: Attributes, prefix: string): boolean {
  for (const key in a) if (key.startsWith(prefix)) return true;
  return false;
}

/**
 * Placeholders instrumentations write instead of content they were told to hide: OpenInference's
 * `__REDACTED__`, and `[REDACTED]`, the usual return of a Langfuse `mask` function. Shown as
 * missing content (with a hint), never as a message.
 */
export function isRedacted(v: unknown): boolean {
  return v === '__REDACTED__' || v === '[REDACTED]';
}

/** A value that MLflow JSON-encodes (`"\"gpt-4o-mini\""`): the string inside, or the value itself. */
export function unquote(v: unknown): string | undefined {
  if (typeof v !== 'string') return str(v);
  if (v.length < 2 || v.charCodeAt(0) !== 34) return v;
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === 'string' ? parsed : v;
  } catch {
    return v;
  }
}

/**
 * The value of the LAST `"key":` in JSON text, parsed, without parsing the rest: how ingest
 * reads usage and model out of a response dump that also holds the (possibly long) answer.
 * Keys inside string values cannot match (their quotes are escaped); OpenAI-style dumps write
 * `usage` and `model` after the choices. Undefined when absent or unreadable.
 */
export function lastField(json: unknown, key: string): unknown {
  if (typeof json !== 'string') return undefined;
  const at = json.lastIndexOf(`"${key}":`);
  if (at === -1) return undefined;
  let i = at + key.length + 3;
  while (i < json.length && (json[i] === ' ' || json[i] === '\n' || json[i] === '\t' || json[i] === '\r')) i++;
  const end = valueEnd(json, i);
  if (end === -1) return undefined;
  try {
    return JSON.parse(json.slice(i, end));
  } catch {
    return undefined;
  }
}

/** Where the JSON value starting at `i` ends (exclusive), or -1. */
function valueEnd(s: string, i: number): number {
  const open = s[i];
  if (open === '"') {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\\') j++;
      else if (s[j] === '"') return j + 1;
    }
    return -1;
  }
  if (open === '{' || open === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '"') {
        for (j++; j < s.length && s[j] !== '"'; j++) if (s[j] === '\\') j++;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}' && s[j] !== ']') j++;
  return j > i ? j : -1;
}

export function stringList(v: unknown): string[] | undefined {
  const parsed = json(v);
  if (Array.isArray(parsed)) return parsed.map((x) => text(x));
  if (typeof parsed === 'string' && parsed) return [parsed];
  return undefined;
}
