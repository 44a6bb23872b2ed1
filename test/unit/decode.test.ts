/** OTLP/JSON quirks and AnyValue conversion, without a server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OtlpDecodeError, decodeLogs, decodeTraces } from '../../src/core/otlp/decode.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function body(span: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: TRACE, spanId: SPAN, name: 'n', ...span }] }], ...extra }],
    }),
  );
}

describe('OTLP/JSON decoding', () => {
  it('takes int64 times as strings or numbers, and keeps every digit of a string', () => {
    const [a] = decodeTraces(body({ startTimeUnixNano: '1700000000123456789', endTimeUnixNano: 1700000001000000000 }), 'json').items;
    assert.equal(a!.startTimeUnixNano, '1700000000123456789');
    assert.equal(a!.endTimeUnixNano, '1700000001000000000');
  });

  it('takes enums as integers or as their names', () => {
    const [a] = decodeTraces(body({ kind: 3, status: { code: 2, message: 'boom' } }), 'json').items;
    assert.equal(a!.kind, 3);
    assert.deepEqual(a!.status, { code: 'error', message: 'boom' });
    const [b] = decodeTraces(body({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_OK' } }), 'json').items;
    assert.equal(b!.kind, 2);
    assert.equal(b!.status.code, 'ok');
  });

  it('ignores unknown fields', () => {
    const batch = decodeTraces(body({ futureField: { x: 1 }, attributes: [] }, { somethingNew: true }), 'json');
    assert.equal(batch.items.length, 1);
    assert.equal(batch.rejected, 0);
  });

  it('accepts upper-case hex and base64 ids, and lower-cases them', () => {
    const b64 = Buffer.from(TRACE, 'hex').toString('base64');
    const [a] = decodeTraces(body({ traceId: b64, spanId: SPAN.toUpperCase() }), 'json').items;
    assert.equal(a!.traceId, TRACE);
    assert.equal(a!.spanId, SPAN);
  });

  it('turns every AnyValue kind into a plain value', () => {
    const attributes = [
      { key: 's', value: { stringValue: 'x' } },
      { key: 'b', value: { boolValue: true } },
      { key: 'i', value: { intValue: '42' } },
      { key: 'big', value: { intValue: '9223372036854775807' } },
      { key: 'neg', value: { intValue: -5 } },
      { key: 'd', value: { doubleValue: 1.5 } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
      { key: 'bytes', value: { bytesValue: 'AQL/' } },
      { key: 'empty', value: {} },
    ];
    const [a] = decodeTraces(body({ attributes }), 'json').items;
    assert.deepEqual(a!.attributes, {
      s: 'x', b: true, i: 42, big: '9223372036854775807', neg: -5, d: 1.5, nan: Number.NaN,
      arr: ['a', 1], kv: { inner: false }, bytes: 'AQL/', empty: null,
    });
  });

  it('cuts values nested deeper than the limit instead of recursing without end', () => {
    let value: Record<string, unknown> = { stringValue: 'leaf' };
    for (let i = 0; i < 200; i++) value = { arrayValue: { values: [value] } };
    const [a] = decodeTraces(body({ attributes: [{ key: 'deep', value }] }), 'json').items;
    assert.match(JSON.stringify(a!.attributes.deep), /\[truncated: nested deeper than 32 levels\]/);
  });

  it('rejects a span with a bad id alone, naming the reason', () => {
    const doc = JSON.parse(body({}).toString());
    doc.resourceSpans[0].scopeSpans[0].spans.push({ traceId: TRACE, spanId: '00000000000000', name: 'short' }, { traceId: '0'.repeat(32), spanId: SPAN, name: 'zero' });
    const batch = decodeTraces(Buffer.from(JSON.stringify(doc)), 'json');
    assert.equal(batch.items.length, 1);
    assert.equal(batch.rejected, 2);
    assert.match(batch.rejectReasons.join(';'), /spanId must be 16 hex digits/);
    assert.match(batch.rejectReasons.join(';'), /traceId must not be all zeros/);
  });

  it('throws OtlpDecodeError for a body that is not a request', () => {
    assert.throws(() => decodeTraces(Buffer.from('null'), 'json'), OtlpDecodeError);
    assert.throws(() => decodeTraces(Buffer.from('{"resourceSpans": {}}'), 'json'), OtlpDecodeError);
    assert.throws(() => decodeTraces(Buffer.from([0xff, 0xff, 0xff]), 'protobuf'), OtlpDecodeError);
  });

  it('decodes log records with severity names and an optional span id', () => {
    const logs = Buffer.from(
      JSON.stringify({
        resourceLogs: [{ scopeLogs: [{ logRecords: [
          { timeUnixNano: '5', severityNumber: 'SEVERITY_NUMBER_WARN2', body: { stringValue: 'hi' }, traceId: TRACE, spanId: SPAN },
          { severityNumber: 17, body: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } } },
        ] }] }],
      }),
    );
    const batch = decodeLogs(logs, 'json');
    assert.equal(batch.rejected, 0);
    assert.deepEqual(batch.items.map((l) => [l.severityNumber, l.body, l.traceId, l.spanId]), [
      [14, 'hi', TRACE, SPAN],
      [17, { a: 1 }, '', ''],
    ]);
  });
});
