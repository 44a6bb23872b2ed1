/**
 * Decode limits: what is past them is cut and marked the same way by all three decoders
 * (streaming protobuf, protobufjs reference, OTLP/JSON), counted in the dropped counts and the
 * partial-success answer, and never changes which spans are accepted. Also the regressions the
 * fuzz test found.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import type { Span } from '../../src/core/model.js';
import { OtlpDecodeError, decodeLogs, decodeTraces, decodeTracesReference } from '../../src/core/otlp/decode.js';
import { exportResponse } from '../../src/core/otlp/encode.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeLimits, limitString, truncationMessage } from '../../src/core/otlp/limits.js';
import { ExportTraceServiceResponse } from '../../src/core/otlp/schema.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { ingest } from '../../src/receiver/ingest.js';
import { writeVarint } from '../helpers/fuzzCorpus.js';
import { type Req, requestArb, toProtobuf, traceRequest } from '../helpers/otlpArb.js';

const SMALL: DecodeLimits = { maxAttributes: 3, maxValueBytes: 8, maxArrayValues: 2, maxValueDepth: 2, maxEvents: 2, maxLinks: 1, maxRequestItems: 1000 };
const TRACE = '5b8efff798038103d269b633813fc60c';
const ids = (i: number): { traceId: string; spanId: string } => ({ traceId: TRACE, spanId: (i + 1).toString(16).padStart(16, '0') });

/** The same request through all three decoders: they must agree; returns the result. */
function decodeAll(req: Req, limits: DecodeLimits) {
  const json = decodeTraces(Buffer.from(JSON.stringify(req)), 'json', limits);
  const proto = toProtobuf(req);
  const streamed = decodeTraces(proto, 'protobuf', limits);
  assert.deepEqual(streamed, decodeTracesReference(proto, limits));
  assert.deepEqual(streamed, json);
  return streamed;
}

const str = (s: string) => ({ stringValue: s });
const kvs = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: str(`v${i}`) }));

describe('decode limits', () => {
  it('defaults, and partial settings filled from them', () => {
    assert.deepEqual(DEFAULT_DECODE_LIMITS, { maxAttributes: 4096, maxValueBytes: 4194304, maxArrayValues: 16384, maxValueDepth: 32, maxEvents: 8192, maxLinks: 1024, maxRequestItems: 1_000_000, maxNameBytes: 1024 });
    assert.deepEqual(decodeLimits({ maxEvents: 10, maxLinks: -1, maxAttributes: 1.5, maxNameBytes: 0 }), { ...DEFAULT_DECODE_LIMITS, maxEvents: 10 });
    assert.equal(decodeLimits({ maxNameBytes: 64 }).maxNameBytes, 64);
  });

  it('cuts attributes, events and links past the limits into the OTLP dropped counts', () => {
    const span = {
      ...ids(0), name: 's', attributes: kvs(5), droppedAttributesCount: 2,
      events: Array.from({ length: 4 }, (_, i) => ({ name: `e${i}`, attributes: kvs(4, 'a') })), droppedEventsCount: 1,
      links: [ids(1), ids(2), ids(3)],
    };
    const batch = decodeAll(traceRequest([span], kvs(4, 'r')), SMALL);
    const s = batch.items[0]!;
    assert.deepEqual(Object.keys(s.attributes), ['k0', 'k1', 'k2']);
    assert.equal(s.droppedAttributesCount, 2 + 2);
    assert.deepEqual(s.events.map((e) => [e.name, e.droppedAttributesCount]), [['e0', 1], ['e1', 1]]);
    assert.equal(s.droppedEventsCount, 1 + 2);
    assert.deepEqual([s.links.length, s.droppedLinksCount], [1, 2]);
    assert.deepEqual([Object.keys(s.resource.attributes).length, s.resource.droppedAttributesCount], [3, 1]);
    assert.deepEqual([batch.truncated, batch.rejected], [1, 0]);
  });

  it('cuts long strings at a character boundary and marks them; bytes, arrays, lists and depth likewise', () => {
    const attributes = [
      { key: 'ascii', value: str('abcdefghijkl') },
      { key: 'multi', value: str('aé😀😀') },
      { key: 'fits', value: str('12345678') },
      { key: 'bytes', value: { bytesValue: Buffer.from('0123456789').toString('base64') } },
    ];
    const nested = [
      { key: 'arr', value: { arrayValue: { values: [str('a'), str('b'), str('c'), str('d')] } } },
      { key: 'kv', value: { kvlistValue: { values: kvs(5) } } },
      { key: 'deep', value: { arrayValue: { values: [{ arrayValue: { values: [{ arrayValue: { values: [str('x')] } }] } }] } } },
    ];
    const batch = decodeAll(traceRequest([{ ...ids(0), attributes }, { ...ids(1), attributes: nested }]), { ...SMALL, maxAttributes: 4 });
    const [a, b] = batch.items as [Span, Span];
    assert.equal(a.attributes.ascii, 'abcdefgh…[truncated 4 of 12 bytes]');
    // é is 2 bytes and 😀 4: 7 bytes hold whole characters, an 8th would split the second 😀.
    assert.equal(a.attributes.multi, 'aé😀…[truncated 4 of 11 bytes]');
    assert.equal(a.attributes.fits, '12345678');
    assert.equal(a.attributes.bytes, `${Buffer.from('01234567').toString('base64')}…[truncated 2 of 10 bytes]`);
    assert.deepEqual(b.attributes.arr, ['a', 'b', '[truncated: 2 more values]']);
    assert.deepEqual(b.attributes.kv, { k0: 'v0', k1: 'v1', k2: 'v2', k3: 'v3', '…': '[truncated: 1 more entries]' });
    assert.deepEqual(b.attributes.deep, [['[truncated: nested deeper than 2 levels]']]);
    assert.equal(batch.truncated, 2);
  });

  it('keeps at most maxRequestItems items per request: then drops attributes and events, and rejects spans', () => {
    const spans = Array.from({ length: 4 }, (_, i) => ({ ...ids(i), attributes: kvs(3), events: [{ name: 'e', attributes: kvs(1) }] }));
    const batch = decodeAll(traceRequest(spans, kvs(1, 'r')), { ...DEFAULT_DECODE_LIMITS, maxRequestItems: 12 });
    // 1 resource attribute, then per span itself, 3 attributes, 1 event and its attribute: the budget ends in the second span.
    assert.deepEqual(batch.items.map((s) => [Object.keys(s.attributes).length, s.events.length, s.events[0]!.droppedAttributesCount]), [[3, 1, 0], [3, 1, 1]]);
    assert.deepEqual([batch.truncated, batch.rejected], [1, 2]);
    assert.match(batch.rejectReasons[0]!, /^span rejected: the request holds more than 12 spans, .*; send smaller batches$/);
  });

  it('says in the partial-success answer what was cut, without counting truncated spans as rejected', async () => {
    const spans = [
      { ...ids(0), attributes: [{ key: 'prompt', value: str('x'.repeat(20)) }] },
      { ...ids(1), attributes: kvs(4) },
      { ...ids(2) },
      { traceId: 'zz', spanId: '01' },
    ];
    const stored: Span[] = [];
    const sink = { addSpans: (s: Span[]) => stored.push(...s), addLogs: () => 0 };
    const body = Buffer.from(JSON.stringify(traceRequest(spans)));
    const result = await ingest(sink, 'traces', 'json', body, SMALL);
    assert.ok(result.ok);
    assert.deepEqual([result.accepted, result.rejected, stored.length], [3, 1, 3]);
    assert.match(result.message, /^1 rejected: span rejected: traceId must be 32 hex digits.*\. 2 spans truncated \(more than 3 attributes; attribute value longer than 8 bytes\)$/);
    const answer = ExportTraceServiceResponse.decode(exportResponse('traces', 'protobuf', result.rejected, result.message)).toJSON();
    assert.equal(answer.partialSuccess.errorMessage, result.message);
    const onlyCut = await ingest(sink, 'traces', 'protobuf', toProtobuf(traceRequest(spans.slice(0, 1))), SMALL);
    assert.deepEqual(onlyCut, { ok: true, accepted: 1, rejected: 0, message: '1 span truncated (attribute value longer than 8 bytes)' });
  });

  it('answers spans past the store\'s per-trace limit as rejected, saying why, and stores the rest', async () => {
    const store = await SpanStore.open({ maxSpansPerTrace: 3 });
    try {
      const spans = Array.from({ length: 5 }, (_, i) => ({ ...ids(i), name: `s${i}` }));
      const result = await ingest(store, 'traces', 'protobuf', toProtobuf(traceRequest(spans)));
      assert.deepEqual(result, { ok: true, accepted: 3, rejected: 2, message: '2 rejected: 2 not stored: their trace reached 3 spans (spanlens.limits.spansPerTrace)' });
      assert.equal(store.getTrace(TRACE).length, 3);
      assert.equal(store.listTraces(10)[0]?.truncatedSpans, 2);
      const answer = ExportTraceServiceResponse.decode(exportResponse('traces', 'protobuf', result.rejected, result.message)).toJSON();
      assert.deepEqual(answer.partialSuccess, { rejectedSpans: '2', errorMessage: result.message });
    } finally {
      await store.close();
    }
  });

  it('answers busy before decoding while the store would refuse the batch anyway', async () => {
    let stored = 0;
    const sink = { busy: true, addSpans: () => ++stored, addLogs: () => 0 };
    // Not even JSON: a decode would answer 400; busy comes first.
    const result = await ingest(sink, 'traces', 'json', Buffer.from('not json'));
    assert.deepEqual(result, { ok: false, busy: true, message: 'Spanlens is busy storing earlier batches; retry shortly' });
    sink.busy = false;
    assert.equal((await ingest(sink, 'traces', 'json', Buffer.from(JSON.stringify(traceRequest([ids(0)]))))).ok, true);
    assert.equal(stored, 1);
  });

  it('never changes which spans are accepted: what is past a limit is still checked', () => {
    const badLink = { ...ids(0), links: [ids(1), { traceId: 'abc', spanId: '0000000000000001' }] };
    const badAttr = { ...ids(1), attributes: [...kvs(4), { key: 'b', value: { boolValue: 'yes' } }] };
    for (const limits of [SMALL, DEFAULT_DECODE_LIMITS]) {
      const json = decodeTraces(Buffer.from(JSON.stringify(traceRequest([badLink, badAttr]))), 'json', limits);
      assert.equal(json.rejected, 2);
      assert.equal(decodeTraces(toProtobuf(traceRequest([badLink])), 'protobuf', limits).rejected, 1);
    }
    // Invalid UTF-8 past the cut point still refuses a protobuf body.
    const proto = toProtobuf(traceRequest([{ ...ids(0), attributes: [{ key: 's', value: str('a'.repeat(20)) }] }]));
    proto[proto.lastIndexOf(0x61)] = 0xff;
    assert.throws(() => decodeTraces(proto, 'protobuf', SMALL), OtlpDecodeError);
    // And in a span rejected for the request's budget (found by the fuzz test: the store, re-decoding with the defaults, refused the body).
    const twoSpans = toProtobuf(traceRequest([ids(0), { ...ids(1), name: 'aaaa' }]));
    twoSpans[twoSpans.lastIndexOf(0x61)] = 0xff;
    assert.throws(() => decodeTraces(twoSpans, 'protobuf', { ...SMALL, maxRequestItems: 1 }), OtlpDecodeError);
  });

  it('agrees across decoders for random requests and limits (fast-check)', () => {
    const limitsArb = fc.oneof(
      fc.constant(DEFAULT_DECODE_LIMITS),
      fc.record(
        { maxAttributes: fc.integer({ min: 1, max: 6 }), maxValueBytes: fc.integer({ min: 1, max: 40 }), maxArrayValues: fc.integer({ min: 1, max: 4 }), maxValueDepth: fc.integer({ min: 1, max: 4 }), maxEvents: fc.integer({ min: 1, max: 3 }), maxLinks: fc.integer({ min: 1, max: 3 }), maxRequestItems: fc.integer({ min: 1, max: 40 }), maxNameBytes: fc.integer({ min: 1, max: 40 }) },
        // Absent now and then: limits written before maxNameBytes existed get its default.
        { requiredKeys: ['maxAttributes', 'maxValueBytes', 'maxArrayValues', 'maxValueDepth', 'maxEvents', 'maxLinks', 'maxRequestItems'] },
      ),
    );
    fc.assert(fc.property(requestArb, limitsArb, (req, limits) => void decodeAll(req, limits)), { seed: 20261125, numRuns: 600 });
  });
});

/** `s` cut to `max` UTF-8 bytes with the marker, as the decoders cut it (whole characters only). */
function cutTo(s: string, max: number): string {
  const bytes = Buffer.from(s);
  let end = max;
  while ((bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.toString('utf8', 0, end)}…[truncated ${bytes.length - end} of ${bytes.length} bytes]`;
}

describe('decode limits: names and keys', () => {
  // Names, keys and the like past 8 bytes; status messages (maxValueBytes) past 8 bytes too.
  const NAMES: DecodeLimits = { ...SMALL, maxAttributes: 6, maxNameBytes: 8 };

  it('cuts names, keys, trace states, versions and schema URLs past maxNameBytes, and a status message past maxValueBytes', () => {
    const key = (k: string, v = 'v') => ({ key: k, value: str(v) });
    const req = {
      resourceSpans: [
        {
          resource: { attributes: [key('resource.key.long'), key('service'), key('fits8byt')] },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeSpans: [{
            scope: { name: '@opentelemetry/instrumentation-openai', version: '0.1.0-beta.12', attributes: [key('scope.attr.long')] },
            schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
            spans: [
              {
                ...ids(0), name: 'aé😀😀', traceState: 'vendor=abcdefgh',
                attributes: [key('gen_ai.prompt.0.content', 'hi'), { key: 'kv', value: { kvlistValue: { values: [key('nested.key.long', 'n'), key('short')] } } }],
                events: [{ name: 'gen_ai.content.prompt', attributes: [key('event.attr.long')] }],
                links: [{ ...ids(5), traceState: 'congo=t61rcWkgMzE', attributes: [key('link.attr.long')] }],
                status: { code: 2, message: 'rate limit exceeded' },
              },
              // Nothing of its own is long, but its resource and scope were cut: it counts as truncated.
              { ...ids(1), name: 'fits8byt' },
            ],
          }],
        },
        { resource: {}, scopeSpans: [{ scope: { name: 'app', version: '1' }, spans: [{ ...ids(2), name: 'chat gpt-4o-mini' }, { ...ids(3), name: 'retrieve', status: { code: 1, message: '12345678' } }, { ...ids(4), name: 'abcdefg😀xyz' }] }] },
      ],
    };
    const batch = decodeAll(req, NAMES);
    const [a, b, c, d, e] = batch.items as [Span, Span, Span, Span, Span];
    assert.equal(a.name, 'aé😀…[truncated 4 of 11 bytes]');
    assert.equal(a.traceState, 'vendor=a…[truncated 7 of 15 bytes]');
    assert.deepEqual(a.attributes, { 'gen_ai.p…[truncated 15 of 23 bytes]': 'hi', kv: { 'nested.k…[truncated 7 of 15 bytes]': 'n', short: 'v' } });
    assert.deepEqual([a.events[0]!.name, Object.keys(a.events[0]!.attributes)], ['gen_ai.c…[truncated 13 of 21 bytes]', ['event.at…[truncated 7 of 15 bytes]']]);
    assert.deepEqual([a.links[0]!.traceState, Object.keys(a.links[0]!.attributes)], ['congo=t6…[truncated 9 of 17 bytes]', ['link.att…[truncated 6 of 14 bytes]']]);
    assert.deepEqual(a.status, { code: 'error', message: 'rate lim…[truncated 11 of 19 bytes]' });
    assert.deepEqual(Object.keys(a.resource.attributes), ['resource…[truncated 9 of 17 bytes]', 'service', 'fits8byt']);
    assert.equal(a.resource.schemaUrl, 'https://…[truncated 31 of 39 bytes]');
    assert.deepEqual(
      [a.scope.name, a.scope.version, a.scope.schemaUrl, Object.keys(a.scope.attributes)],
      ['@opentel…[truncated 29 of 37 bytes]', '0.1.0-be…[truncated 5 of 13 bytes]', 'https://…[truncated 31 of 39 bytes]', ['scope.at…[truncated 7 of 15 bytes]']],
    );
    // A cut drops nothing: the dropped counts stay as sent.
    assert.deepEqual([a.droppedAttributesCount, a.events[0]!.droppedAttributesCount, a.links[0]!.droppedAttributesCount, a.resource.droppedAttributesCount], [0, 0, 0, 0]);
    assert.equal(b.name, 'fits8byt');
    assert.equal(c.name, 'chat gpt…[truncated 8 of 16 bytes]');
    assert.deepEqual([d.name, d.status.message], ['retrieve', '12345678']);
    // 😀 takes bytes 8–11: it would not fit whole, so the cut ends before it.
    assert.equal(e.name, 'abcdefg…[truncated 7 of 14 bytes]');
    // Counted per span: a, b (its context), c and e; d is whole.
    assert.equal(batch.truncated, 4);
    assert.equal(truncationMessage(batch, 'spans', NAMES), '4 spans truncated (name or key longer than 8 bytes; status message longer than 8 bytes)');
  });

  it('keeps the first of two keys cut to the same text and counts the second as dropped; a kept name says so in the answer', async () => {
    // Both 14 bytes, so both cut to `model.na…[truncated 6 of 14 bytes]`.
    const twins = [{ key: 'model.name.one', value: str('first') }, { key: 'model.name.two', value: str('second') }];
    const span = {
      ...ids(0),
      attributes: [...twins, { key: 'k', value: str('v') }],
      events: [{ name: 'e', attributes: twins }],
      links: [{ ...ids(1), attributes: [{ key: 'list', value: { kvlistValue: { values: [...twins, { key: 'x', value: str('y') }] } } }] }],
    };
    // Two attributes per list: the dropped twin frees its place for the next key.
    const limits = { ...NAMES, maxAttributes: 2 };
    const batch = decodeAll(traceRequest([span]), limits);
    const s = batch.items[0]!;
    const cut = 'model.na…[truncated 6 of 14 bytes]';
    assert.deepEqual(s.attributes, { [cut]: 'first', k: 'v' });
    assert.equal(s.droppedAttributesCount, 1);
    assert.deepEqual([s.events[0]!.attributes, s.events[0]!.droppedAttributesCount], [{ [cut]: 'first' }, 1]);
    assert.deepEqual(s.links[0]!.attributes.list, { [cut]: 'first', x: 'y', '…': '[truncated: 1 more entries]' });
    assert.equal(truncationMessage(batch, 'spans', limits), '1 span truncated (name or key longer than 8 bytes)');
    // Through ingest, as the receiver answers it, for both encodings.
    const sink = { addSpans: () => 1, addLogs: () => 0 };
    for (const [encoding, body] of [['json', Buffer.from(JSON.stringify(traceRequest([{ ...ids(0), name: 'aé😀😀', status: { message: 'x'.repeat(9) } }])))], ['protobuf', toProtobuf(traceRequest([{ ...ids(0), name: 'aé😀😀', status: { message: 'x'.repeat(9) } }]))]] as const) {
      assert.deepEqual(await ingest(sink, 'traces', encoding, body, NAMES), { ok: true, accepted: 1, rejected: 0, message: '1 span truncated (name or key longer than 8 bytes; status message longer than 8 bytes)' });
    }
  });

  it('cuts a 10 MB span name, event name and attribute key from the SDK to 1,024 bytes by default, quickly', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'names' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('é'.repeat(600), '1.0.0');
    const huge = 'n'.repeat(10 * 1024 * 1024);
    const span = tracer.startSpan(huge, { attributes: { [`k${huge}`]: 'value', [`k${huge.slice(1)}é`]: 'other', short: 1 } });
    span.addEvent(`e${huge}`);
    span.end();
    const spans = exporter.getFinishedSpans();
    for (const [encoding, body] of [['protobuf', Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!)], ['json', Buffer.from(JsonTraceSerializer.serializeRequest(spans)!)]] as const) {
      const t = performance.now();
      const batch = decodeTraces(body, encoding);
      assert.ok(performance.now() - t < 2000, `${encoding}: ${performance.now() - t} ms`);
      const s = batch.items[0]!;
      assert.equal(s.name, cutTo(huge, 1024));
      assert.equal(s.name, `${'n'.repeat(1024)}…[truncated ${huge.length - 1024} of ${huge.length} bytes]`);
      // The two keys differ in their last character and length, so their cut texts differ too: both kept.
      assert.deepEqual(s.attributes, { [cutTo(`k${huge}`, 1024)]: 'value', [cutTo(`k${huge.slice(1)}é`, 1024)]: 'other', short: 1 });
      assert.equal(s.events[0]!.name, cutTo(`e${huge}`, 1024));
      // 600 é are 1,200 bytes: 512 whole ones fit.
      assert.equal(s.scope.name, `${'é'.repeat(512)}…[truncated 176 of 1200 bytes]`);
      assert.deepEqual([batch.truncated, truncationMessage(batch, 'spans')], [1, '1 span truncated (name or key longer than 1024 bytes)']);
    }
    await provider.shutdown();
  });

  it('cuts log records\' keys, event names and severity texts, and their scopes, alike in protobuf and JSON (SDK bodies)', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name.long': 'svc' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('gen_ai.events.logger', '0.1.0-beta.12');
    logger.emit({ eventName: 'gen_ai.choice', severityText: 'INFORMATION', body: { 'message.content': 'hello', 'finish_reason': 'stop' }, attributes: { 'gen_ai.system': 'openai', 'gen_ai.sys': 'twin?', 'gen_ai.systex': 'twin' } });
    logger.emit({ eventName: 'short', severityText: 'INFO', body: 'fine' });
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    const limits = { ...NAMES, maxValueBytes: 64 };
    const json = decodeLogs(Buffer.from(JsonLogsSerializer.serializeRequest(records)!), 'json', limits);
    const proto = decodeLogs(Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!), 'protobuf', limits);
    assert.deepEqual(proto, json);
    const [l, m] = proto.items as [(typeof proto.items)[0], (typeof proto.items)[0]];
    assert.equal(l.eventName, 'gen_ai.c…[truncated 5 of 13 bytes]');
    assert.equal(l.severityText, 'INFORMAT…[truncated 3 of 11 bytes]');
    // Keys inside the body's key/value list are cut too.
    assert.deepEqual(l.body, { 'message.…[truncated 7 of 15 bytes]': 'hello', 'finish_r…[truncated 5 of 13 bytes]': 'stop' });
    // `gen_ai.system` and `gen_ai.systex` are both 13 bytes: cut to the same text, the first kept.
    assert.deepEqual(l.attributes, { 'gen_ai.s…[truncated 5 of 13 bytes]': 'openai', 'gen_ai.s…[truncated 2 of 10 bytes]': 'twin?' });
    assert.equal(l.droppedAttributesCount, 1);
    assert.deepEqual([l.scope.name, l.scope.version], ['gen_ai.e…[truncated 12 of 20 bytes]', '0.1.0-be…[truncated 5 of 13 bytes]']);
    assert.deepEqual(l.resource.attributes, { 'service.…[truncated 9 of 17 bytes]': 'svc' });
    assert.deepEqual([m.eventName, m.severityText, m.body], ['short', 'INFO', 'fine']);
    // Both records count: the second's resource and scope were cut.
    assert.equal(truncationMessage(proto, 'log records', limits), '2 log records truncated (name or key longer than 8 bytes)');
    await provider.shutdown();
  });

  it('cuts a string as if it were encoded whole, though only its first units are (fast-check)', () => {
    // Any UTF-16 units, lone surrogates included: JSON bodies can hold them.
    const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength: 40 });
    const text = fc.oneof(units.map((u) => String.fromCharCode(...u)), fc.string({ unit: 'binary', maxLength: 30 }));
    fc.assert(fc.property(text, fc.integer({ min: 1, max: 40 }), (s, max) => {
      const whole = Buffer.from(s);
      const expected = whole.length <= max ? s : cutTo(s, max);
      assert.deepEqual(limitString(s, max), { value: expected, cut: whole.length > max });
    }), { seed: 20261125, numRuns: 3000 });
  });

  it('still refuses a protobuf body whose name or key is not UTF-8 past the cut', () => {
    for (const span of [{ ...ids(0), name: 'a'.repeat(20) }, { ...ids(0), attributes: [{ key: 'a'.repeat(20), value: str('v') }] }]) {
      const proto = toProtobuf(traceRequest([span]));
      assert.equal(decodeTraces(proto, 'protobuf', NAMES).truncated, 1);
      proto[proto.lastIndexOf(0x61)] = 0xff;
      assert.throws(() => decodeTraces(proto, 'protobuf', NAMES), OtlpDecodeError);
    }
  });
});

describe('hostile bodies (fuzz regressions)', () => {
  it('a length that runs past its message is refused at once, not re-read for every message (was quadratic)', () => {
    // 30,000 resourceSpans, each holding a scopeSpans whose length claims the rest of the body.
    const n = 30_000;
    const body = Buffer.alloc(n * 7);
    for (let i = 0; i < n; i++) {
      const rest = body.length - (i * 7 + 7);
      body.set([0x0a, 0x05, 0x12, (rest & 0x7f) | 0x80, ((rest >>> 7) & 0x7f) | 0x80, ((rest >>> 14) & 0x7f) | 0x80, rest >>> 21], i * 7);
    }
    const t = performance.now();
    assert.throws(() => decodeTraces(body, 'protobuf'), /runs .* past the end of its message/);
    assert.ok(performance.now() - t < 1000);
  });

  it('a hostile enum value or key makes a short rejection message, not a stack overflow or megabytes', () => {
    const deep = JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown;
    const doc = traceRequest([{ ...ids(0), kind: deep }, { ...ids(1), attributes: [{ key: 'k'.repeat(1_000_000), value: { boolValue: 1 } }] }]);
    const text = JSON.stringify(doc, (k, v) => (k === 'kind' ? 'DEEP' : v)).replace('"DEEP"', '['.repeat(50_000) + ']'.repeat(50_000));
    const batch = decodeTraces(Buffer.from(text), 'json');
    assert.equal(batch.rejected, 2);
    assert.ok(batch.rejectReasons.join('').length < 300, batch.rejectReasons.join('; '));
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const req = traceRequest([{ ...ids(0), attributes: [{ key: '__proto__', value: { kvlistValue: { values: kvs(1) } } }, { key: 'x', value: str('y') }] }]);
    const s = decodeAll(req, DEFAULT_DECODE_LIMITS).items[0]!;
    assert.equal(Object.getPrototypeOf(s.attributes), Object.prototype);
    assert.deepEqual(Object.keys(s.attributes), ['__proto__', 'x']);
    assert.deepEqual(s.attributes.__proto__, { k0: 'v0' });
  });

  it('100,000 levels of protobuf nesting: cut for traces, refused for logs, no stack overflow', () => {
    const depth = 100_000;
    // AnyValue{arrayValue: ArrayValue{values: AnyValue{…}}}, built from the inside out.
    const leaf = Buffer.from([0x0a, 0x01, 0x78]);
    const headers: Buffer[] = [];
    let length = leaf.length;
    for (let i = 0; i < depth; i++) {
      for (const tag of [0x0a, 0x2a]) {
        const header = Buffer.concat([Buffer.from([tag]), writeVarint(length)]);
        headers.push(header);
        length += header.length;
      }
    }
    const value = Buffer.concat([...headers.reverse(), leaf]);
    const kv = Buffer.concat([Buffer.from([0x0a, 0x01, 0x64, 0x12]), writeVarint(value.length), value]);
    const span = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(TRACE, 'hex'), Buffer.from([0x12, 0x08]), Buffer.from(ids(0).spanId, 'hex'), Buffer.from([0x4a]), writeVarint(kv.length), kv]);
    const wrap = (field: number, inner: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2]), writeVarint(inner.length), inner]);
    const traces = wrap(1, wrap(2, wrap(2, span)));
    const s = decodeTraces(traces, 'protobuf').items[0]!;
    assert.match(JSON.stringify(s.attributes.d), /nested deeper than 32 levels/);
    // The same value as a log record's body (ExportLogsServiceRequest.resourceLogs.scopeLogs.logRecords.body = 5).
    const logs = wrap(1, wrap(2, wrap(2, Buffer.concat([Buffer.from([0x2a]), writeVarint(value.length), value]))));
    assert.throws(() => decodeLogs(logs, 'protobuf'), OtlpDecodeError);
  });

  it('8 MiB of empty events in one span: kept to maxEvents, quickly, with bounded memory', () => {
    const events = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < events.length; i += 2) events.set([0x5a, 0x00], i);
    // The span is the innermost message: append the events to it and fix the three lengths around it.
    const span = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(TRACE, 'hex'), Buffer.from([0x12, 0x08]), Buffer.from(ids(0).spanId, 'hex'), events]);
    const wrap = (field: number, inner: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2]), writeVarint(inner.length), inner]);
    const body = wrap(1, wrap(2, wrap(2, span)));
    const before = process.memoryUsage().heapUsed;
    const t = performance.now();
    const s = decodeTraces(body, 'protobuf').items[0]!;
    assert.ok(performance.now() - t < 5000);
    assert.deepEqual([s.events.length, s.droppedEventsCount], [DEFAULT_DECODE_LIMITS.maxEvents, events.length / 2 - DEFAULT_DECODE_LIMITS.maxEvents]);
    assert.ok(process.memoryUsage().heapUsed - before < 256 * 1024 * 1024);
  });
});
