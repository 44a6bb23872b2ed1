/** Internal-form spans for store tests. */
import { randomBytes } from 'node:crypto';
import type { Resource, Scope, Span } from '../../src/core/model.js';

export const resource: Resource = { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0, schemaUrl: '' };
export const scope: Scope = { name: 'test', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

export function makeTrace(count: number, startNs = 1_700_000_000_000_000_000n, opts: { errors?: number } = {}): Span[] {
  const traceId = randomBytes(16).toString('hex');
  const spans: Span[] = [];
  for (let i = 0; i < count; i++) {
    const start = startNs + BigInt(i) * 1_000_000n;
    spans.push({
      traceId,
      spanId: randomBytes(8).toString('hex'),
      parentSpanId: i === 0 ? '' : spans[0]!.spanId,
      traceState: '',
      flags: 1,
      name: i === 0 ? 'root' : `child ${i}`,
      kind: 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + (i === 0 ? BigInt(count) * 1_000_000n : 500_000n)).toString(),
      attributes: { i, text: `value ${i}`, nested: { list: [1, 'two', true] } },
      droppedAttributesCount: 0,
      events: i === 1 ? [{ timeUnixNano: start.toString(), name: 'ev', attributes: { a: 1 }, droppedAttributesCount: 0 }] : [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: i > 0 && i <= (opts.errors ?? 0) ? 'error' : 'unset', message: '' },
      resource,
      scope,
    });
  }
  return spans;
}
