/** Text search over stored traces: names, attribute values (prompts, responses), events and logs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogRecord } from '../../src/core/model.js';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { makeTrace, resource, scope } from '../helpers/spans.js';

function log(traceId: string, body: string): LogRecord {
  return {
    timeUnixNano: '1700000000000000000', observedTimeUnixNano: '1700000000000000000', severityNumber: 9, severityText: 'INFO',
    body: { content: body }, attributes: { 'event.name': 'gen_ai.user.message' }, droppedAttributesCount: 0, flags: 0,
    traceId, spanId: '', eventName: 'gen_ai.user.message', resource, scope,
  };
}

describe('searchTraces', () => {
  it('finds traces by span name, nested attribute values and event attributes, case-insensitively', async () => {
    const store = await SpanStore.open();
    const named = makeTrace(2);
    named[1]!.name = 'Retrieve Documents';
    const prompted = makeTrace(3);
    prompted[2]!.attributes['gen_ai.prompt'] = [{ role: 'user', content: 'What is the CAPITAL of Peru?' }] as never;
    const evented = makeTrace(2);
    evented[1]!.events = [{ timeUnixNano: evented[1]!.startTimeUnixNano, name: 'gen_ai.choice', attributes: { message: 'Lima, of course' }, droppedAttributesCount: 0 }];
    const other = makeTrace(4);
    store.addSpans([...named, ...prompted]);
    store.addSpans([...evented, ...other]);

    assert.deepEqual(store.searchTraces('retrieve documents'), [named[0]!.traceId]);
    assert.deepEqual(store.searchTraces('capital of peru'), [prompted[0]!.traceId]);
    assert.deepEqual(store.searchTraces('LIMA'), [evented[0]!.traceId]);
    assert.deepEqual(store.searchTraces('  '), [], 'blank text matches nothing');
    assert.deepEqual(store.searchTraces('no such words'), []);
    // 'value 1' is an attribute of every trace's first child; newest bodies are searched first.
    const all = store.searchTraces('value 1');
    assert.equal(all.length, 4);
    assert.deepEqual(new Set(all.slice(0, 2)), new Set([evented[0]!.traceId, other[0]!.traceId]));
    assert.equal(store.searchTraces('value 1', 3).length, 3, 'at most limit ids');
    await store.close();
  });

  it('leaves out deleted traces whose body is shared with a kept trace', async () => {
    const store = await SpanStore.open();
    const kept = makeTrace(2);
    const gone = makeTrace(2);
    gone[1]!.name = 'needle span';
    store.addSpans([...kept, ...gone]);
    assert.deepEqual(store.searchTraces('needle'), [gone[0]!.traceId]);
    store.deleteTraces([gone[0]!.traceId]);
    assert.deepEqual(store.searchTraces('needle'), []);
    await store.close();
  });

  it('finds content sent as log records', async () => {
    const store = await SpanStore.open();
    const trace = makeTrace(2);
    store.addSpans(trace);
    store.addLogs([log(trace[0]!.traceId, 'Summarise the Quarterly report')]);
    assert.deepEqual(store.searchTraces('quarterly report'), [trace[0]!.traceId]);
    await store.close();
  });
});
