/** Internal-form traces for the webview tests and bench: a nested tree with LLM calls, errors and orphans. */
import { randomBytes } from 'node:crypto';
import type { Span } from '../../src/core/model.js';
import { resource, scope } from '../helpers/spans.js';

export interface NestedOptions {
  /** Children per span. */
  fanout?: number;
  /** Span names (and attribute values) are built from this text. */
  text?: (i: number) => string;
  /** Every nth span fails. */
  errorEvery?: number;
  /** Add a span whose parent is not in the trace. */
  orphan?: boolean;
}

const START = 1_700_000_000_000_000_000n;

/** `count` spans: a root of 10 s and children laid out in order inside their parent, breadth first. */
export function nestedTrace(count: number, opts: NestedOptions = {}): Span[] {
  const fanout = opts.fanout ?? 3;
  const text = opts.text ?? ((i: number) => (i === 0 ? 'agent run' : `step ${i}`));
  const traceId = randomBytes(16).toString('hex');
  const spans: Span[] = [];
  const make = (i: number, parent: string, startNs: bigint, endNs: bigint): Span => {
    const llm = i % 5 === 2;
    const id = randomBytes(8).toString('hex');
    return {
      traceId, spanId: id, parentSpanId: parent, traceState: '', flags: 1,
      name: llm ? `chat ${text(i)}` : text(i), kind: llm ? 3 : 1,
      startTimeUnixNano: startNs.toString(), endTimeUnixNano: endNs.toString(),
      attributes: llm
        ? { 'gen_ai.system': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 30, note: text(i) }
        : { i, note: text(i) },
      droppedAttributesCount: 0,
      events: llm ? [{ timeUnixNano: (startNs + (endNs - startNs) / 4n).toString(), name: 'gen_ai.first_token', attributes: {}, droppedAttributesCount: 0 }] : [],
      droppedEventsCount: 0, links: [], droppedLinksCount: 0,
      status: opts.errorEvery && i > 0 && i % opts.errorEvery === 0 ? { code: 'error', message: text(i) } : { code: 'unset', message: '' },
      resource, scope,
    };
  };
  const queue: Array<{ span: Span; start: bigint; end: bigint }> = [];
  const root = make(0, '', START, START + 10_000_000_000n);
  spans.push(root);
  queue.push({ span: root, start: START, end: START + 10_000_000_000n });
  for (let q = 0; q < queue.length && spans.length < count; q++) {
    const { span, start, end } = queue[q]!;
    const slot = (end - start) / BigInt(fanout);
    for (let c = 0; c < fanout && spans.length < count; c++) {
      const s = start + slot * BigInt(c) + slot / 20n;
      const e = start + slot * BigInt(c + 1) - slot / 20n;
      const child = make(spans.length, span.spanId, s, e);
      spans.push(child);
      queue.push({ span: child, start: s, end: e });
    }
  }
  if (opts.orphan) {
    const o = make(spans.length, 'ffffffffffffffff', START + 1_000_000n, START + 2_000_000n);
    o.name = `orphan ${text(spans.length)}`;
    spans.push(o);
  }
  return spans;
}
