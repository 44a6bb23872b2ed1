/** The streaming protobuf decoder gives exactly what the generic protobufjs path gives. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OtlpDecodeError, decodeTraces, decodeTracesReference } from '../../src/core/otlp/decode.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/core/otlp/limits.js';
import { ExportTraceServiceRequest } from '../../src/core/otlp/schema.js';
import { protobufBody, sdkSpans } from '../helpers/payloads.js';

/** Every fixture, turned from OTLP/JSON into protobuf with the schema's encoder. */
function fixtureBodies(): { name: string; body: Uint8Array }[] {
  const root = path.join(__dirname, '../fixtures');
  const out: { name: string; body: Uint8Array }[] = [];
  for (const dialect of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'generators')) {
    for (const file of readdirSync(path.join(root, dialect.name)).filter((f) => f.endsWith('.otlp.json') && !f.endsWith('.logs.otlp.json'))) {
      const items = decodeTraces(readFileSync(path.join(root, dialect.name, file)), 'json').items;
      // Re-encode the decoded spans through the generic message types.
      const message = ExportTraceServiceRequest.fromObject({
        resourceSpans: items.map((s) => ({
          resource: { attributes: toKv(s.resource.attributes) },
          scopeSpans: [{ scope: { name: s.scope.name, version: s.scope.version }, spans: [{
            traceId: Buffer.from(s.traceId, 'hex'), spanId: Buffer.from(s.spanId, 'hex'), parentSpanId: Buffer.from(s.parentSpanId, 'hex'),
            name: s.name, kind: s.kind, flags: s.flags, startTimeUnixNano: s.startTimeUnixNano, endTimeUnixNano: s.endTimeUnixNano,
            attributes: toKv(s.attributes), events: s.events.map((e) => ({ ...e, attributes: toKv(e.attributes) })),
            status: { code: ['unset', 'ok', 'error'].indexOf(s.status.code), message: s.status.message },
          }] }],
        })),
      });
      out.push({ name: `${dialect.name}/${file}`, body: ExportTraceServiceRequest.encode(message).finish() });
    }
  }
  return out;
}

function toKv(a: Record<string, unknown>): unknown[] {
  const any = (v: unknown): unknown => {
    if (v === null) return {};
    if (typeof v === 'string') return { stringValue: v };
    if (typeof v === 'boolean') return { boolValue: v };
    if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
    if (Array.isArray(v)) return { arrayValue: { values: v.map(any) } };
    return { kvlistValue: { values: toKv(v as Record<string, unknown>) } };
  };
  return Object.entries(a).map(([key, value]) => ({ key, value: any(value) }));
}

describe('streaming protobuf decoder', () => {
  it('decodes real SDK payloads exactly as the generic decoder does', () => {
    for (const count of [1, 17, 300]) {
      const body = protobufBody(sdkSpans(count, `p${count}`));
      assert.deepEqual(decodeTraces(body, 'protobuf'), decodeTracesReference(body));
    }
  });

  it('decodes every fixture exactly as the generic decoder does', () => {
    const bodies = fixtureBodies();
    assert.ok(bodies.length > 40);
    for (const { name, body } of bodies) assert.deepEqual(decodeTraces(body, 'protobuf'), decodeTracesReference(body), name);
  });

  it('cuts names, keys and status messages exactly as the generic decoder does', () => {
    // Small enough that most keys and names are cut, and GenAI keys such as gen_ai.prompt.0.role
    // and gen_ai.prompt.1.role (same length, same first bytes) collide once cut.
    const limits = { ...DEFAULT_DECODE_LIMITS, maxNameBytes: 10, maxValueBytes: 12 };
    let truncated = 0;
    for (const { name, body } of [...fixtureBodies(), { name: 'sdk', body: protobufBody(sdkSpans(50, 'a span with a long name')) }]) {
      const fast = decodeTraces(body, 'protobuf', limits);
      assert.deepEqual(fast, decodeTracesReference(body, limits), name);
      truncated += fast.truncated ?? 0;
    }
    assert.ok(truncated > 100, `${truncated} truncated`);
  });

  it('rejects and throws where the generic decoder does', () => {
    const good = protobufBody(sdkSpans(10, 'cut'));
    for (const bad of [good.subarray(0, good.length - 7), randomBytes(512), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])]) {
      assert.throws(() => decodeTraces(bad, 'protobuf'), OtlpDecodeError);
      assert.throws(() => decodeTracesReference(bad), OtlpDecodeError);
    }
    const traceId = randomBytes(16);
    const request = ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [
        { traceId, spanId: randomBytes(8), name: 'ok' },
        { traceId, spanId: randomBytes(7), name: 'short id' },
        { traceId: Buffer.alloc(16), spanId: randomBytes(8), name: 'zero trace' },
        { traceId, spanId: randomBytes(8), name: 'bad link', links: [{ traceId, spanId: randomBytes(3) }] },
        { traceId, spanId: randomBytes(8), name: 'bad status', status: { code: 7 } },
      ] }] }],
    });
    const body = ExportTraceServiceRequest.encode(request).finish();
    const fast = decodeTraces(body, 'protobuf');
    assert.deepEqual(fast, decodeTracesReference(body));
    assert.deepEqual(fast.items.map((s) => s.name), ['ok']);
    assert.equal(fast.rejected, 4);
  });
});
