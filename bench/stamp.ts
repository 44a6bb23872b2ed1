/**
 * Replaying the same payloads as new spans. The store ignores spans it already holds, so a
 * replayed body would measure almost nothing; and a store of real traffic sees random trace
 * ids and times that move forward, which decide where each insert lands in its b-trees.
 *
 * So send number n of a payload gets:
 *  - for each of its traces, the first 4 bytes of the trace id replaced by mix32(n·128 + trace
 *    index), a bijection: ids stay unique and land at random places, and a trace stays whole
 *    (its spans and the links to it get the same new id);
 *  - every time moved on by ⌊n / payloads⌋ × the virtual time the payloads cover, so time
 *    keeps going forward as it does in a live application.
 * Bodies are patched in place of re-encoding, so the client's cost stays small.
 */
import type { Span } from '../src/core/model.js';
import type { Payload, PayloadSet } from './payloads.js';

const MAX_TRACES_PER_BATCH = 128;

/** lowbias32 (Chris Wellons): every step is invertible, so distinct inputs give distinct outputs. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function tracePrefix(send: number, traceIndex: number): number {
  if (traceIndex >= MAX_TRACES_PER_BATCH) throw new Error(`a batch has more than ${MAX_TRACES_PER_BATCH} traces`);
  return mix32((send * MAX_TRACES_PER_BATCH + traceIndex) >>> 0);
}

function shiftNs(set: PayloadSet, send: number): bigint {
  return BigInt(Math.floor(send / set.payloads.length)) * BigInt(set.cycleNs);
}

/** The payload for send number n and a fresh copy of its body (the journal may keep the buffer). */
export function stampedBody(set: PayloadSet, send: number): { payload: Payload; body: Buffer } {
  const payload = set.payloads[send % set.payloads.length]!;
  const body = Buffer.from(payload.body);
  payload.traces.forEach((t, j) => {
    const prefix = tracePrefix(send, j);
    for (const o of t.offsets) body.writeUInt32BE(prefix, o);
  });
  const shift = shiftNs(set, send);
  if (shift > 0n) for (const o of payload.timeOffsets) body.writeBigUInt64LE(body.readBigUInt64LE(o) + shift, o);
  return { payload, body };
}

/** The same changes on decoded spans, for runs that skip decoding; equal to decoding stampedBody. */
export class SpanStamper {
  private readonly originals: { spans: Span[]; times: string[][]; traceIndex: Map<string, number> }[];

  /** `decoded[i]` are the decoded spans of payload i; they are changed in place by stamp(). */
  constructor(private readonly set: PayloadSet, decoded: Span[][]) {
    this.originals = decoded.map((spans, i) => ({
      spans,
      times: spans.map((s) => [s.startTimeUnixNano, s.endTimeUnixNano, ...s.events.map((e) => e.timeUnixNano)]),
      traceIndex: new Map(set.payloads[i]!.traces.map((t, j) => [t.id.slice(8), j])),
    }));
  }

  stamp(send: number): Span[] {
    const o = this.originals[send % this.originals.length]!;
    const shift = shiftNs(this.set, send);
    const retrace = (id: string): string => {
      const j = o.traceIndex.get(id.slice(8));
      return j === undefined ? id : tracePrefix(send, j).toString(16).padStart(8, '0') + id.slice(8);
    };
    o.spans.forEach((s, k) => {
      const [start, end, ...events] = o.times[k]!;
      s.traceId = retrace(s.traceId);
      s.startTimeUnixNano = (BigInt(start!) + shift).toString();
      s.endTimeUnixNano = (BigInt(end!) + shift).toString();
      s.events.forEach((e, m) => (e.timeUnixNano = (BigInt(events[m]!) + shift).toString()));
      for (const l of s.links) l.traceId = retrace(l.traceId);
    });
    return o.spans;
  }
}
