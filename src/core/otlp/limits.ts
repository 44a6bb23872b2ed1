/**
 * What one decoded span or log record may hold, and how a cut is marked. Both decoders (the
 * streaming protobuf one and the generic JSON one) apply the same limits in the same way, so a
 * body decodes to the same spans whichever way it came. Nothing cut is lost silently:
 * - attributes, events and links past their limit add to the OTLP dropped counts;
 * - a string or bytes value past its limit keeps its first bytes and ends in a marker,
 *   `…[truncated 123 of 4567 bytes]`; so do names, attribute keys and other short strings past
 *   maxNameBytes, and a status message past maxValueBytes;
 * - of two keys of one list cut to the same text, the first is kept, the second dropped and
 *   counted like an attribute past maxAttributes (a cut key never overwrites);
 * - an array or key/value list past its limit ends in a marker element or entry;
 * - a value nested too deep becomes the marker `[truncated: nested deeper than 32 levels]`;
 * - the span counts as truncated in the batch, and the export answer's partial success says why.
 * Only the request's budget (maxRequestItems) rejects spans, and then always the last ones. What
 * is past a limit is still read and checked, so a body is refused, and a span rejected, for the
 * same bytes whatever the limits (except inside a value nested past maxValueDepth, which is
 * skipped unread). The store keeps bodies and decodes them again: with the same limits it gets
 * the same spans; with other ones, the same spans in the same order, cut differently, as long as
 * its maxValueDepth is the same and its maxRequestItems not lower.
 */
import type { DecodedBatch } from '../model.js';
import { FieldError } from './values.js';

export interface DecodeLimits {
  /** Attributes of one span, event, link, resource, scope or log record; entries of one key/value list value. */
  maxAttributes: number;
  /** UTF-8 bytes of one string value, bytes of one bytes value. */
  maxValueBytes: number;
  /** Elements of one array value. */
  maxArrayValues: number;
  /** Levels of arrays and key/value lists inside one attribute value. */
  maxValueDepth: number;
  /** Events of one span. */
  maxEvents: number;
  /** Links of one span. */
  maxLinks: number;
  /**
   * Spans (or log records), attributes, events, links and array values kept from one request,
   * all together: a small body of many empty items (2 bytes each on the wire, ~120 bytes each
   * decoded) must not take gigabytes. Past it, attributes, events, links and array values are
   * dropped and counted like those past the other limits; spans and log records are rejected
   * (partial success: the exporter is told to send smaller batches).
   */
  maxRequestItems: number;
  /**
   * UTF-8 bytes of one name or key: span, event and scope names, scope versions, attribute keys
   * (at any depth), trace states, schema URLs, a log record's severity text and event name.
   * Optional, unlike the others, so that limits written before it was added stay valid: absent
   * means the default (see cutting).
   */
  maxNameBytes?: number;
}

/**
 * Far above what real LLM traces hold, so that only hostile or broken exporters are cut:
 * - 4,096 attributes: OpenLLMetry writes 3–6 indexed attributes per message
 *   (gen_ai.prompt.37.content, .role, .tool_calls.0.name…), so this is a conversation of 700+
 *   messages; the SDKs' own default is 128 unless raised.
 * - 4 MiB per value: a full 1M-token prompt as text (OpenInference's input.value holds the whole
 *   request as JSON); the span detail can still show it.
 * - 16,384 array values: embedding vectors (OpenInference records them; 3,072–4,096 dimensions).
 * - 32 levels: a GenAI choice event's body is 6 levels deep before the tool arguments' own JSON;
 *   32 keeps the decoder's recursion shallow.
 * - 8,192 events: streaming instrumentations can write an event per chunk.
 * - 1,024 links: batch and fan-in spans link to their inputs.
 * - 1,000,000 items per request: an SDK batch of 512 spans holds about 7,000 and a Collector
 *   batch of 8,192 about 110,000; a million empty events decode to about 120 MB, a million
 *   spans with ids only to about 500 MB.
 * - 1,024 bytes per name or key: GenAI keys (gen_ai.prompt.37.tool_calls.0.arguments) are under
 *   60, span names are routes or `chat gpt-4o`, and a W3C tracestate is meant to fit in 512; the
 *   views show a name on one line. A status message is text like a value and gets maxValueBytes.
 */
export const DEFAULT_DECODE_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxAttributes: 4096,
  maxValueBytes: 4 * 1024 * 1024,
  maxArrayValues: 16384,
  maxValueDepth: 32,
  maxEvents: 8192,
  maxLinks: 1024,
  maxRequestItems: 1_000_000,
  maxNameBytes: 1024,
});

/** Defaults for what is not given; a value that is not a positive integer falls back too. */
export function decodeLimits(given?: Partial<DecodeLimits>): Required<DecodeLimits> {
  if (!given) return DEFAULT_DECODE_LIMITS;
  const out = { ...DEFAULT_DECODE_LIMITS };
  for (const key of Object.keys(out) as (keyof typeof out)[]) {
    const v = given[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[key] = v;
  }
  return out;
}

/** The limits, what has been cut of the span or record being read (Cut flags), and what the request may still keep. */
export interface Cutting {
  limits: Required<DecodeLimits>;
  cut: number;
  budget: number;
}

export function cutting(limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Cutting {
  const full = limits.maxNameBytes === undefined ? { ...limits, maxNameBytes: DEFAULT_DECODE_LIMITS.maxNameBytes } : (limits as Required<DecodeLimits>);
  return { limits: full, cut: 0, budget: limits.maxRequestItems };
}

/**
 * What is past a limit is still read (with this, and dropped), so that whether a span is
 * rejected, or a body refused, never depends on the limits: a stored body re-decoded with other
 * limits keeps the same spans in the same order.
 */
export const scratch = (ctx: Cutting): Cutting => ({ limits: ctx.limits, cut: 0, budget: Infinity });

/** Entries of one repeated field read so far, and how many of them were kept. */
export interface Count {
  seen: number;
  kept: number;
}

/**
 * Whether one more item fits its list's limit and the request's budget; flags the cut if not.
 * Both decoders call this in the same order (resource, scope, then per span its attributes,
 * events, links as protobuf's field order has them), so that they cut at the same item.
 */
export function fits(c: Count, max: number, flag: number, ctx: Cutting): boolean {
  c.seen++;
  if (c.kept < max && ctx.budget > 0) {
    c.kept++;
    ctx.budget--;
    return true;
  }
  ctx.cut |= c.kept < max ? Cut.request : flag;
  return false;
}

/** Takes a span or log record from the request's budget, or rejects it when none is left. */
export function spend(ctx: Cutting, what: 'span' | 'log record'): void {
  if (ctx.budget <= 0) throw new FieldError(`the request holds more than ${ctx.limits.maxRequestItems} ${what}s, attributes, events, links and array values; send smaller batches`);
  ctx.budget--;
}

/** What was cut, as bit flags: one set per span or log record. */
export const Cut = { attributes: 1, value: 2, array: 4, depth: 8, events: 16, links: 32, request: 64, name: 128, message: 256 } as const;

const REASONS: [number, (l: DecodeLimits) => string][] = [
  [Cut.attributes, (l) => `more than ${l.maxAttributes} attributes`],
  [Cut.value, (l) => `attribute value longer than ${l.maxValueBytes} bytes`],
  [Cut.array, (l) => `array value longer than ${l.maxArrayValues} elements`],
  [Cut.depth, (l) => `value nested deeper than ${l.maxValueDepth} levels`],
  [Cut.events, (l) => `more than ${l.maxEvents} events`],
  [Cut.links, (l) => `more than ${l.maxLinks} links`],
  [Cut.request, (l) => `more than ${l.maxRequestItems} attributes, events, links and array values in the request`],
  [Cut.name, (l) => `name or key longer than ${l.maxNameBytes ?? DEFAULT_DECODE_LIMITS.maxNameBytes} bytes`],
  [Cut.message, (l) => `status message longer than ${l.maxValueBytes} bytes`],
];

/** Counts one truncated span or record in the batch; the reasons are kept as flags until the answer. */
export function countTruncated(batch: DecodedBatch<unknown>, flags: number): void {
  batch.truncated = (batch.truncated ?? 0) + 1;
  batch.truncatedFlags = (batch.truncatedFlags ?? 0) | flags;
}

export function truncationReasons(flags: number, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): string[] {
  return REASONS.filter(([flag]) => flags & flag).map(([, text]) => text(limits));
}

/** The partial-success text for a batch's cuts, e.g. `2 spans truncated (more than 4096 attributes)`. */
export function truncationMessage(batch: Pick<DecodedBatch<unknown>, 'truncated' | 'truncatedFlags'>, what: 'spans' | 'log records', limits?: DecodeLimits): string {
  if (!batch.truncated) return '';
  const noun = batch.truncated === 1 ? what.slice(0, -1) : what;
  return `${batch.truncated} ${noun} truncated (${truncationReasons(batch.truncatedFlags ?? 0, limits).join('; ')})`;
}

export const depthMarker = (limits: DecodeLimits): string => `[truncated: nested deeper than ${limits.maxValueDepth} levels]`;
export const arrayMarker = (more: number): string => `[truncated: ${more} more values]`;
/** The key of the entry that ends a cut key/value list. */
export const KVLIST_MARKER_KEY = '…';
export const kvlistMarker = (more: number): string => `[truncated: ${more} more entries]`;

/** Ends a value cut to `kept` of its `total` bytes. */
export function valueMarker(kept: number, total: number): string {
  return `…[truncated ${total - kept} of ${total} bytes]`;
}

/** Where a cut of UTF-8 `bytes` at most `max` long must end so that no character is split. */
export function utf8Boundary(bytes: Uint8Array, start: number, max: number): number {
  let end = start + max;
  // Back off over continuation bytes (10xxxxxx) to the start of the split character.
  while (end > start && (bytes[end]! & 0xc0) === 0x80) end--;
  return end;
}

/** A string over the limit (in UTF-8 bytes) cut to it, with the marker; else the string itself. */
export function limitString(s: string, maxBytes: number): { value: string; cut: boolean } {
  // UTF-8 takes at least one byte per UTF-16 unit and at most three.
  if (s.length * 3 <= maxBytes) return { value: s, cut: false };
  const total = Buffer.byteLength(s, 'utf8');
  if (total <= maxBytes) return { value: s, cut: false };
  // Only the first maxBytes units can end up in the first maxBytes bytes: a 10 MB name is not
  // copied whole. A pair split by the slice encodes as 3 bytes past the cut, so it is left out.
  const bytes = Buffer.from(s.length > maxBytes ? s.slice(0, maxBytes) : s, 'utf8');
  const end = utf8Boundary(bytes, 0, maxBytes);
  return { value: bytes.toString('utf8', 0, end) + valueMarker(end, total), cut: true };
}

/** Raw bytes as base64, the first `maxBytes` of them with the marker when there are more. */
export function limitBytes(buf: Uint8Array, start: number, len: number, maxBytes: number): { value: string; cut: boolean } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (len <= maxBytes) return { value: b.toString('base64', start, start + len), cut: false };
  return { value: b.toString('base64', start, start + maxBytes) + valueMarker(maxBytes, len), cut: true };
}
