/**
 * Each span of a trace to the source line that made it: `code.*` attributes, then stack traces
 * (both exact), then the names the span carries found as definitions, then its prompt's text
 * found as a literal (both heuristics, never shown as exact). A span with none of its own shows
 * its nearest located ancestor's, marked inherited.
 */
import { type LogRecord, type Span, logsBySpan } from '../model.js';
import { normalizeSpan } from '../normalize/normalizeSpan.js';
import type { LlmCall } from '../../shared/llm.js';
import type { SourceLocation } from '../../shared/source.js';
import { codeAttributes, fromAttributes } from './fromAttributes.js';
import { fromStack } from './fromStack.js';
import type { IndexedDefinition, TextMatch, WorkspaceIndex } from './workspaceIndex.js';

/** An inherited location is the ancestor's line, not the span's own: a little less certain. */
const INHERITED_FACTOR = 0.9;
/** Literal characters a prompt match needs at least, and the share of the prompt below which it needs many more. */
const MIN_TEXT_CHARS = 20;
const MIN_SHARE = 0.3;
const LONG_LITERAL_CHARS = 80;
// Openings so common in prompts that finding one in the workspace says nothing.
const GENERIC_PROMPT = /^(?:you are (?:a|an) (?:\w+ ){0,3}(?:assistant|ai|chatbot|bot|model)|answer the (?:following )?question|think step by step|be (?:concise|helpful))\b/i;
// Span names that are operations of libraries rather than the user's own functions.
const GENERIC_NAMES = new Set(['chat', 'completion', 'completions', 'embeddings', 'embed', 'request', 'fetch', 'run', 'invoke', 'call', 'main', 'handler', 'execute', 'generate', 'stream', 'query', 'get', 'post', 'put', 'delete', 'send', 'connect', 'init', 'index', 'default']);
const ENTITY_SUFFIX = /^(.+)\.(?:workflow|task|agent|tool)$/;

export function resolveSources(spans: Span[], logs: LogRecord[], index: WorkspaceIndex): Map<string, SourceLocation | null> {
  const sources = new TraceSources(spans, logsBySpan(logs), index);
  return new Map(spans.map((s) => [s.spanId, sources.get(s)]));
}

/**
 * One trace's locations, resolved on demand: a caller that streams the trace and normalizes each
 * span anyway (`spanlens show`) passes the LLM call it has, so no span is normalized twice.
 */
export class TraceSources {
  private readonly byId = new Map<string, Span>();
  private readonly own = new Map<string, SourceLocation | null>();
  private readonly texts = new Map<string, TextMatch | null>();
  private readonly nearestMemo = new Map<string, SourceLocation | null>();

  /** `logs`: the trace's log records by span (`logsBySpan`). */
  constructor(spans: Span[], private readonly logs: Map<string, LogRecord[]>, private readonly index: WorkspaceIndex) {
    for (const s of spans) if (!this.byId.has(s.spanId)) this.byId.set(s.spanId, s);
  }

  /** The span's location, its own or its nearest located ancestor's. `llm`: the span's normalized call, when the caller has it. */
  get(span: Span, llm?: LlmCall | null): SourceLocation | null {
    const own = this.ownOf(span, llm);
    if (own) return own;
    const loc = this.nearest(span.parentSpanId);
    return loc && { ...loc, inherited: true, confidence: round(loc.confidence * INHERITED_FACTOR) };
  }

  /** The own location of the span or its nearest located ancestor, remembered for every span on the way. */
  private nearest(spanId: string): SourceLocation | null {
    const chain = new Set<string>();
    let found: SourceLocation | null = null;
    for (let id = spanId; ; ) {
      const memo = this.nearestMemo.get(id);
      if (memo !== undefined) {
        found = memo;
        break;
      }
      const span = this.byId.get(id);
      // A missing parent or a cycle (a span met twice) ends the walk.
      if (!span || chain.has(id)) break;
      chain.add(id);
      const own = this.ownOf(span);
      if (own) {
        found = own;
        break;
      }
      id = span.parentSpanId;
    }
    for (const id of chain) this.nearestMemo.set(id, found);
    return found;
  }

  private ownOf(span: Span, llm?: LlmCall | null): SourceLocation | null {
    let loc = this.own.get(span.spanId);
    if (loc === undefined) {
      const call = llm !== undefined ? llm : () => normalizeSpan(span, this.logs.get(span.spanId) ?? []).llm;
      this.own.set(span.spanId, (loc = resolveOwn(span, call, this.index, this.texts)));
    }
    return loc;
  }
}

/**
 * The span's own location, without looking at its ancestors. `llm` (or a function giving it,
 * called only when names did not settle it) is the span's normalized call, for its prompt.
 */
export function resolveOwn(span: Span, llm: LlmCall | null | (() => LlmCall | null), index: WorkspaceIndex, texts = new Map<string, TextMatch | null>()): SourceLocation | null {
  const exact = fromAttributes(span.attributes, index.paths) ?? fromStack(span, index.paths);
  if (exact) return exact;
  const symbol = fromSymbols(span, index);
  if (symbol && symbol.confidence >= 0.5) return symbol;
  const text = fromText(typeof llm === 'function' ? llm() : llm, index, texts);
  if (!text) return symbol;
  return !symbol || text.confidence > symbol.confidence ? text : symbol;
}

/** Names the span carries for the code that made it, most specific first, with how much each says. */
export function symbolNames(span: Span): { name: string; weight: number }[] {
  const a = span.attributes;
  const out: { name: string; weight: number }[] = [];
  const add = (v: unknown, weight: number): void => {
    if (typeof v === 'string' && v.trim() !== '' && !out.some((o) => o.name === v.trim())) out.push({ name: v.trim(), weight });
  };
  add(codeAttributes(a).function, 0.8);
  add(a['traceloop.entity.name'], 0.85);
  add(ENTITY_SUFFIX.exec(span.name)?.[1], 0.85);
  add(a['ai.telemetry.functionId'], 0.85);
  add(a['gen_ai.agent.name'], 0.8);
  add(a['gen_ai.tool.name'], 0.8);
  add(a['langfuse.observation.name'], 0.8);
  if (isLangfuse(span)) add(span.name, 0.8);
  // Any other span name that looks like an identifier: a guess, worded "possible".
  else if (/^[A-Za-z_][\w$]{3,}$/.test(span.name) && !GENERIC_NAMES.has(span.name.toLowerCase())) add(span.name, 0.55);
  return out;
}

/** A name to look up elsewhere (the editor's symbol providers) for a span the workspace index could not place. */
export interface UnplacedName {
  name: string;
  weight: number;
  /** The name is an ancestor's: the span itself carries none. */
  inherited: boolean;
}

/**
 * For each of `spanIds` (spans the caller could not place): the names it carries, or else its
 * nearest ancestor's, so that an editor can try its own symbol providers (languages this index
 * does not read).
 */
export function unplacedNames(spans: Span[], spanIds: Iterable<string>): Map<string, UnplacedName[]> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = new Map<string, UnplacedName[]>();
  for (const id of spanIds) {
    const span = byId.get(id);
    const seen = new Set<string>();
    for (let at: Span | undefined = span; at && !seen.has(at.spanId); at = byId.get(at.parentSpanId)) {
      seen.add(at.spanId);
      const names = symbolNames(at);
      if (names.length) {
        out.set(id, names.map((n) => ({ ...n, inherited: at !== span })));
        break;
      }
    }
  }
  return out;
}

function isLangfuse(span: Span): boolean {
  if (/langfuse/i.test(span.scope.name)) return true;
  for (const key in span.attributes) if (key.startsWith('langfuse.')) return true;
  return false;
}

function fromSymbols(span: Span, index: WorkspaceIndex): SourceLocation | null {
  for (const { name, weight } of symbolNames(span)) {
    let defs = index.definitions(name);
    // `Class.method`, `module.fn`, `ns::fn`: the last part is what the definition spells.
    if (defs.length === 0 && /[.:]/.test(name)) defs = index.definitions(name.split(/[.:]+/).pop()!);
    if (defs.length === 0) continue;
    // A wrapper's own name for the entity is more specific than a function that happens to share it.
    const entities = defs.filter((d) => d.kind === 'entity');
    const pool = entities.length > 0 ? entities : defs;
    const def = [...pool].sort(byPlace)[0]!;
    const confidence = pool.length === 1 ? weight : Math.min(0.5, weight / pool.length);
    return { path: def.path, line: def.line, column: def.column, function: def.kind === 'entity' ? name : def.name, method: 'symbol', confidence: round(confidence), inherited: false };
  }
  return null;
}

function byPlace(a: IndexedDefinition, b: IndexedDefinition): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line;
}

/** The system instructions and the first user message: the texts a program most often writes literally. */
export function promptTexts(llm: LlmCall | null): string[] {
  if (!llm) return [];
  const out: string[] = [];
  if (llm.system) out.push(llm.system);
  const user = llm.input.find((m) => m.role === 'user' || m.role === 'human' || m.role === 'input');
  if (user?.content) out.push(user.content);
  return out;
}

function fromText(llm: LlmCall | null, index: WorkspaceIndex, cache: Map<string, TextMatch | null>): SourceLocation | null {
  let best: SourceLocation | null = null;
  for (const prompt of promptTexts(llm)) {
    let match = cache.get(prompt);
    if (match === undefined) cache.set(prompt, (match = index.matchText(prompt)));
    if (!match) continue;
    const confidence = textConfidence(match, match.promptLength);
    if (confidence === null || (best && best.confidence >= confidence)) continue;
    const lit = match.literal;
    best = { path: lit.path, line: lit.line, column: lit.column, function: null, method: 'text', confidence, inherited: false };
  }
  return best;
}

/**
 * How sure a prompt match is: none for a short or common phrase or a small share of the prompt,
 * up to 0.9 for a long literal covering the prompt, at most 0.5 when equal literals tie.
 */
export function textConfidence(match: TextMatch, promptLength: number): number | null {
  const { chars, literal } = match;
  const share = promptLength > 0 ? chars / promptLength : 0;
  if (chars < MIN_TEXT_CHARS) return null;
  if (share < MIN_SHARE && chars < LONG_LITERAL_CHARS) return null;
  if (chars < 60 && GENERIC_PROMPT.test(literal.parts.join(' '))) return null;
  let c = 0.5 + 0.4 * Math.min(1, share);
  if (chars < 40) c -= 0.1;
  if (match.ties > 0) c = Math.min(0.5, c) / (1 + 0.25 * (match.ties - 1));
  return round(c);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
