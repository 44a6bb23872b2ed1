/**
 * Structural mutations of OTLP/JSON bodies: wrong types, huge and odd numbers, odd unicode,
 * invalid ids, prototype-named keys, deep nesting, long strings, huge repeated fields.
 */
import type { Rng } from './fuzzCorpus.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Slot = { parent: Json[] | { [key: string]: Json }; key: string | number };

const ODD_VALUES: Json[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 4294967296,
  '', '0', '-1', '1e400', 'NaN', 'Infinity', '-Infinity', '18446744073709551616', '99999999999999999999999', '00000000000000000001',
  'abc', '𝄞😀', '\u0000', '\ud800', '\udc00x', '\u202e\u0301', 'SPAN_KIND_SERVER', 'STATUS_CODE_ERROR', 'SEVERITY_NUMBER_WARN4',
  '0123456789abcdef0123456789abcdef', '00000000000000000000000000000000', 'ZZZZZZZZZZZZZZZZ', 'AAAAAAAAAAAAAAAAAAAAAA==', 'AQID',
  [], {}, [1, 2], [null], { stringValue: 1 }, { arrayValue: null }, { arrayValue: { values: {} } }, { kvlistValue: { values: [null] } },
  { kvlistValue: { values: [{ key: 1 }] } }, { intValue: '9223372036854775808' }, { intValue: 1.5 }, { doubleValue: '1e999' },
  { doubleValue: 'x' }, { bytesValue: '!!!' }, { bytesValue: 5 }, { boolValue: 'true' }, { stringValue: 'a', intValue: 3 },
];
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '…', 'gen_ai.prompt.0.content', 'llm.input_messages.0.message.content', '\ud800'];
const ID_KEYS = ['traceId', 'spanId', 'parentSpanId'];
const DEEP = 'DEEP-PLACEHOLDER-';

function slots(root: Json, limit: number): Slot[] {
  const out: Slot[] = [];
  const stack: Json[] = [root];
  while (stack.length && out.length < limit) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        if (v && typeof v === 'object') stack.push(v);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        out.push({ parent: node, key: k });
        if (v && typeof v === 'object') stack.push(v);
      }
    }
  }
  return out;
}

const get = (s: Slot): Json => (s.parent as Record<string | number, Json>)[s.key]!;
const set = (s: Slot, v: Json): void => {
  (s.parent as Record<string | number, Json>)[s.key] = v;
};

/** Deep nesting as JSON text (JSON.stringify recurses; the decoder must not have to). */
function deepText(rng: Rng): string {
  const depth = 1 + rng.int(rng.chance(0.05) ? 20000 : 200);
  if (rng.chance(0.2)) return '['.repeat(depth) + ']'.repeat(depth);
  const kv = rng.chance(0.5);
  const open = kv ? '{"kvlistValue":{"values":[{"key":"k","value":' : '{"arrayValue":{"values":[';
  const close = kv ? '}]}}' : ']}}';
  return open.repeat(depth) + '{"stringValue":"leaf"}' + close.repeat(depth);
}

function longString(rng: Rng): string {
  const unit = rng.pick(['x', 'é', '😀', '\u0000', 'ab\n']);
  return unit.repeat(1 + rng.int(rng.chance(0.02) ? 400_000 : 5000));
}

/** One to three structural mutations of a parsed body, then serialized (sometimes with a raw-text edit). */
export function mutateJson(rng: Rng, text: string): [string, Buffer] {
  const root = JSON.parse(text) as Json;
  const names: string[] = [];
  const deep: string[] = [];
  const steps = 1 + rng.int(3);
  for (let step = 0; step < steps; step++) {
    const all = slots(root, 5000);
    if (!all.length) break;
    const s = rng.pick(all);
    switch (rng.int(9)) {
      case 0:
        names.push('odd value');
        set(s, structuredClone(rng.pick(ODD_VALUES)));
        break;
      case 1:
        names.push('remove');
        if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else delete s.parent[s.key as string];
        break;
      case 2: {
        names.push('odd key');
        if (Array.isArray(s.parent)) break;
        const v = get(s);
        delete s.parent[s.key as string];
        Object.defineProperty(s.parent, rng.pick(ODD_KEYS), { value: v, enumerable: true, writable: true, configurable: true });
        break;
      }
      case 3: {
        names.push('repeat');
        const list = Array.isArray(s.parent) ? s.parent : Array.isArray(get(s)) ? (get(s) as Json[]) : undefined;
        if (!list?.length) break;
        const item = list[rng.int(list.length)]!;
        // Many copies of a small item, fewer of a big one: a body of a few MB at most.
        const size = JSON.stringify(item)?.length ?? 4;
        const times = Math.min(1 + rng.int(rng.chance(0.03) ? 20000 : 300), Math.ceil(4_000_000 / size));
        for (let i = 0; i < times; i++) list.push(rng.chance(0.5) ? item : structuredClone(item));
        break;
      }
      case 4:
        names.push('deep');
        deep.push(deepText(rng));
        set(s, `${DEEP}${deep.length - 1}`);
        break;
      case 5:
        names.push('long string');
        set(s, longString(rng));
        break;
      case 6: {
        names.push('swap');
        const o = rng.pick(all);
        const v = structuredClone(get(s));
        const w = structuredClone(get(o));
        set(s, w);
        set(o, v);
        break;
      }
      case 7: {
        names.push('bad id');
        const idSlot = all.find((x) => ID_KEYS.includes(String(x.key)) && rng.chance(0.3)) ?? s;
        set(idSlot, rng.pick(['', 'abc', '0'.repeat(32), 'g'.repeat(32), 'AAAAAAAAAAA=', '0123456789ABCDEF', 'ffffffffffffffffffffffffffffffffff', 7, null]));
        break;
      }
      default: {
        names.push('number');
        set(s, rng.pick([Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 64, -0, 0.1 + 0.2, 1e21, 123456789012345680000]));
      }
    }
  }
  let out = JSON.stringify(root);
  deep.forEach((text, i) => {
    out = out.replace(`"${DEEP}${i}"`, () => text);
  });
  if (rng.chance(0.1)) {
    // Raw text JSON.stringify never writes: 1e999 (parses to Infinity), -0, a 400-digit number.
    const m = /\d+/g;
    const hits = [...out.matchAll(m)];
    if (hits.length) {
      const h = rng.pick(hits);
      out = out.slice(0, h.index) + rng.pick(['1e999', '-0', '9'.repeat(400), '-1e-999']) + out.slice(h.index! + h[0].length);
      names.push('raw number');
    }
  }
  return [`json: ${names.join(', ')}`, Buffer.from(out)];
}
