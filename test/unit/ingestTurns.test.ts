/** Bodies that complete together are decoded one per pass of the event loop, in arrival order, with timers running between them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogRecord, Span } from '../../src/core/model.js';
import { ingest } from '../../src/receiver/ingest.js';
import type { IngestSink } from '../../src/receiver/sink.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';

describe('ingest turns', () => {
  it('decodes concurrent bodies one per event-loop pass, in order, letting timers run between them', async () => {
    const events: string[] = [];
    const sink: IngestSink = {
      addSpans: async (spans: Span[]) => {
        events.push(`stored ${spans[0]!.name.split(' ')[0]}`);
        return spans.length;
      },
      addLogs: async (logs: LogRecord[]) => logs.length,
    };
    const bodies = ['a', 'b', 'c', 'd'].map((name, i) => {
      const spans = sdkSpans(512, name);
      return i % 2 ? { encoding: 'json' as const, body: jsonBody(spans) } : { encoding: 'protobuf' as const, body: protobufBody(spans) };
    });
    // A timer due at once: it runs at the next timers phase, which comes between two turns.
    let ticking = true;
    const tick = (): void => {
      events.push('timer');
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const results = await Promise.all(bodies.map((b) => ingest(sink, 'traces', b.encoding, b.body)));
    ticking = false;
    assert.deepEqual(results.map((r) => r.ok && r.accepted), [512, 512, 512, 512]);
    const stored = events.filter((e) => e !== 'timer');
    assert.deepEqual(stored, ['stored a', 'stored b', 'stored c', 'stored d']);
    // Between any two decodes the event loop went round: the timer ran at least once.
    for (let i = 1; i < stored.length; i++) {
      const between = events.slice(events.indexOf(stored[i - 1]!) + 1, events.indexOf(stored[i]!));
      assert.ok(between.includes('timer'), `no timer ran between ${stored[i - 1]} and ${stored[i]}: ${events.join(', ')}`);
    }
  });

  it('answers busy without decoding when the store becomes busy while the body waits its turn', async () => {
    let busy = false;
    let stored = 0;
    const sink: IngestSink = {
      get busy() {
        return busy;
      },
      addSpans: async (spans: Span[]) => {
        stored++;
        busy = true;
        return spans.length;
      },
      addLogs: async (logs: LogRecord[]) => logs.length,
    };
    const body = protobufBody(sdkSpans(10, 'x'));
    const [first, second] = await Promise.all([ingest(sink, 'traces', 'protobuf', body), ingest(sink, 'traces', 'protobuf', body)]);
    assert.equal(first.ok, true);
    assert.deepEqual(second, { ok: false, busy: true, message: 'Spanlens is busy storing earlier batches; retry shortly' });
    assert.equal(stored, 1);
  });
});
