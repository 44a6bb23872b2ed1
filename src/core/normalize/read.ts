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
  return JSON.stringify(v);
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

export function stringList(v: unknown): string[] | undefined {
  const parsed = json(v);
  if (Array.isArray(parsed)) return parsed.map((x) => text(x));
  if (typeof parsed === 'string' && parsed) return [parsed];
  return undefined;
}
