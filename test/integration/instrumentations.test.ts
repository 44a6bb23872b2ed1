/**
 * The instrumentation fixtures (test/fixtures/<dialect>/*.otlp.json): each is valid OTLP/JSON and
 * the real receiver stores every span and log record in it. Also pins the fake OpenAI server's
 * answers, which the fixtures' facts depend on.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { FAKE, startFakeOpenAI, type FakeOpenAI } from '../helpers/fakeOpenAI.js';
import { type RunningReceiver, eventually, startReceiver } from '../helpers/receiver.js';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const NANOS = /^[1-9][0-9]{18}$/;

function fixtureFiles(): string[] {
  return readdirSync(FIXTURES)
    .filter((d) => statSync(path.join(FIXTURES, d)).isDirectory() && d !== 'generators')
    .flatMap((d) => readdirSync(path.join(FIXTURES, d)).filter((f) => f.endsWith('.otlp.json')).map((f) => path.join(d, f)))
    .sort();
}

type Json = Record<string, unknown>;
const obj = (v: unknown, where: string): Json => {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${where}: object expected`);
  return v as Json;
};
const arr = (v: unknown, where: string): unknown[] => {
  assert.ok(Array.isArray(v), `${where}: array expected`);
  return v;
};

function checkAnyValue(v: unknown, where: string): void {
  const keys = Object.keys(obj(v, where));
  assert.equal(keys.length, 1, `${where}: one AnyValue field, got ${keys.join(',')}`);
  const value = (v as Json)[keys[0]!];
  switch (keys[0]) {
    case 'stringValue':
      return assert.equal(typeof value, 'string', where);
    case 'boolValue':
      return assert.equal(typeof value, 'boolean', where);
    case 'intValue':
      // The JS SDK writes numbers, the protobuf JSON mapping strings: both occur in the wild.
      return assert.ok(typeof value === 'number' ? Number.isInteger(value) : /^-?\d+$/.test(String(value)), where);
    case 'doubleValue':
      return assert.equal(typeof value, 'number', where);
    case 'arrayValue':
      return arr(obj(value, where)['values'] ?? [], where).forEach((x, i) => checkAnyValue(x, `${where}[${i}]`));
    case 'kvlistValue':
      return checkAttributes(obj(value, where)['values'], where);
    default:
      assert.fail(`${where}: unknown AnyValue field ${keys[0]}`);
  }
}

function checkAttributes(list: unknown, where: string): void {
  for (const kv of arr(list ?? [], where)) {
    const { key, value } = obj(kv, where);
    assert.equal(typeof key, 'string', `${where}: attribute key`);
    checkAnyValue(value, `${where}.${String(key)}`);
  }
}

/** Checks the OTLP/JSON shape; returns trace id → number of spans or log records. */
function checkShape(file: string, body: Json): Map<string, number> {
  const perTrace = new Map<string, number>();
  const count = (traceId: string) => perTrace.set(traceId, (perTrace.get(traceId) ?? 0) + 1);
  if (file.endsWith('.logs.otlp.json')) {
    for (const rl of arr(body['resourceLogs'], file)) {
      checkAttributes(obj(obj(rl, file)['resource'], file)['attributes'], `${file} resource`);
      for (const sl of arr(obj(rl, file)['scopeLogs'], file)) {
        for (const lr of arr(obj(sl, file)['logRecords'], file)) {
          const r = obj(lr, file);
          assert.match(String(r['traceId']), HEX32, `${file} log traceId`);
          assert.match(String(r['spanId']), HEX16, `${file} log spanId`);
          assert.match(String(r['timeUnixNano']), NANOS, `${file} log time`);
          checkAttributes(r['attributes'], `${file} log`);
          if (r['body'] !== undefined) checkAnyValue(r['body'], `${file} log body`);
          count(String(r['traceId']));
        }
      }
    }
    return perTrace;
  }
  for (const rs of arr(body['resourceSpans'], file)) {
    checkAttributes(obj(obj(rs, file)['resource'], file)['attributes'], `${file} resource`);
    for (const ss of arr(obj(rs, file)['scopeSpans'], file)) {
      assert.equal(typeof obj(obj(ss, file)['scope'], file)['name'], 'string', `${file} scope name`);
      for (const s of arr(obj(ss, file)['spans'], file)) {
        const sp = obj(s, file);
        const where = `${file} span ${String(sp['name'])}`;
        assert.match(String(sp['traceId']), HEX32, `${where} traceId`);
        assert.match(String(sp['spanId']), HEX16, `${where} spanId`);
        if (sp['parentSpanId'] !== undefined && sp['parentSpanId'] !== '') assert.match(String(sp['parentSpanId']), HEX16, `${where} parentSpanId`);
        assert.match(String(sp['startTimeUnixNano']), NANOS, `${where} start`);
        assert.match(String(sp['endTimeUnixNano']), NANOS, `${where} end`);
        assert.ok(BigInt(String(sp['endTimeUnixNano'])) >= BigInt(String(sp['startTimeUnixNano'])), `${where} ends after it starts`);
        assert.ok([0, 1, 2, 3, 4, 5].includes(Number(sp['kind'])), `${where} kind`);
        assert.ok([0, 1, 2].includes(Number(obj(sp['status'] ?? {}, where)['code'] ?? 0)), `${where} status`);
        checkAttributes(sp['attributes'], where);
        for (const e of arr(sp['events'] ?? [], where)) {
          assert.match(String(obj(e, where)['timeUnixNano']), NANOS, `${where} event time`);
          checkAttributes(obj(e, where)['attributes'], `${where} event`);
        }
        count(String(sp['traceId']));
      }
    }
  }
  return perTrace;
}

describe('instrumentation fixtures', () => {
  const files = fixtureFiles();
  let rx: RunningReceiver;
  before(async () => {
    rx = await startReceiver();
  });
  after(() => rx.stop());

  it('exist for every dialect', () => {
    const dialects = new Set(files.map((f) => path.dirname(f)));
    for (const d of ['openllmetry', 'openinference', 'vercel-ai', 'langfuse', 'langfuse-openai', 'logfire', 'openllmetry-python', 'mlflow', 'genai-semconv', 'genai-events']) {
      assert.ok(dialects.has(d), `fixtures for ${d}`);
    }
  });

  for (const file of files) {
    it(`${file}: valid OTLP/JSON that the receiver stores whole`, async () => {
      const body = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Json;
      const perTrace = checkShape(file, body);
      assert.ok(perTrace.size > 0, 'holds at least one span or log record');
      const logs = file.endsWith('.logs.otlp.json');
      const res = await fetch(`${rx.httpUrl}/v1/${logs ? 'logs' : 'traces'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.text());
      for (const [traceId, n] of perTrace) {
        await eventually(() => ((logs ? rx.store.logsForTrace(traceId) : rx.store.getTrace(traceId)).length >= n ? true : undefined));
      }
    });
  }
});

describe('fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
  });
  after(() => fake.close());

  it('answers chat with the fixed text and usage', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]!.message.content, FAKE.answer);
    assert.equal(r.model, 'gpt-4o-mini' + FAKE.modelSuffix);
    assert.deepEqual(r.usage, FAKE.answerUsage);
    assert.equal(fake.requests.at(-1)!.body.model, 'gpt-4o-mini');
  });

  it('streams the same answer with a usage chunk', async () => {
    const s = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const c of s) {
      text += c.choices[0]?.delta.content ?? '';
      usage = c.usage ?? usage;
    }
    assert.equal(text, FAKE.answer);
    assert.deepEqual(usage, FAKE.answerUsage);
  });

  it('asks for get_weather, then answers the tool result', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const first = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'weather?' }], tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(call.type === 'function' && [call.id, call.function.name, call.function.arguments], [FAKE.toolCall.id, 'get_weather', '{"city":"Paris"}']);
    const second = await client.chat.completions.create({
      model: 'm',
      tools,
      messages: [{ role: 'user', content: 'weather?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    assert.equal(second.choices[0]!.message.content, FAKE.toolAnswer);
    assert.deepEqual(second.usage, FAKE.toolAnswerUsage);
  });

  it('embeds as floats or base64, and fails fail-model with 429', async () => {
    const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.deepEqual(e.data.map((d) => d.embedding), [[0.125, 0.25, 0.375, 0.5], [0.25, 0.5, 0.75, 1]]);
    await assert.rejects(client.chat.completions.create({ model: FAKE.failModel, messages: [{ role: 'user', content: 'x' }] }), (err: { status?: number }) => err.status === 429);
  });
});
