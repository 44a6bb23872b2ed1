/**
 * While the store works on a batch, nothing on the receiver's thread keeps the batch's decoded
 * spans: they are garbage once indexed and posted. (Kept until the store answered, every batch
 * waiting survived into V8's old generation, and collecting them took a fifth of the thread.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { LogRecord, Span } from '../../src/core/model.js';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import type { AddSpansResult } from '../../src/core/store/spanStore.js';
import { StoreClient } from '../../src/core/store/storeClient.js';
import { ingest } from '../../src/receiver/ingest.js';
import type { IngestSink } from '../../src/receiver/sink.js';
import { gc } from '../helpers/gc.js';
import { jsonBody, protobufBody, sdkSpans } from '../helpers/payloads.js';


/** Collects garbage in a later turn: a WeakRef's target stays alive until the job that made it ends. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  await tick();
  await tick();
  gc();
  return ref.deref() === undefined;
}

describe('decoded spans are not kept while the store works', () => {
  it('ingest keeps only what its answer needs while the sink stores the batch', async () => {
    let ref: WeakRef<Span[]> | undefined;
    let store: (r: AddSpansResult) => void = () => undefined;
    const sink: IngestSink = {
      addSpans: () => {
        throw new Error('addSpansCounted is used when the sink has it');
      },
      addSpansCounted: (spans: Span[]) => {
        ref = new WeakRef(spans);
        return new Promise<AddSpansResult>((resolve) => (store = resolve));
      },
      addLogs: async (logs: LogRecord[]) => logs.length,
    };
    const answer = ingest(sink, 'traces', 'protobuf', protobufBody(sdkSpans(64, 'held')));
    let answered = false;
    void answer.then(() => (answered = true));
    while (!ref) await tick();
    assert.ok(await collected(ref), 'the decoded spans are still referenced while the store works');
    assert.equal(answered, false);
    store({ stored: 60, truncated: 4, maxSpansPerTrace: 60 });
    const r = await answer;
    assert.ok(r.ok);
    assert.equal(r.accepted, 60);
    assert.equal(r.rejected, 4);
    assert.match(r.message, /4 not stored: their trace reached 60 spans/);
  });

  describe('StoreClient', () => {
    let client: StoreClient;
    after(() => client?.close());

    it('does not hold the spans it indexed while its worker stores them', async () => {
      client = await StoreClient.open();
      // Work queued first, so the batch below waits in the worker while garbage is collected.
      const busy = client.importOtlp(jsonBody(sdkSpans(10_000, 'ahead')));
      const { ref, stored } = send(client);
      let answered = false;
      void stored.then(() => (answered = true));
      assert.ok(await collected(ref), 'the spans are still referenced while the worker stores them');
      assert.equal(answered, false, 'the worker answered before the collection: nothing was shown');
      assert.equal((await stored).stored, 100);
      assert.equal((await busy).spans, 10_000);
    });
  });
});

/** Decodes a batch and hands it to the store, keeping nothing of it here but a weak reference. */
function send(client: StoreClient): { ref: WeakRef<Span[]>; stored: Promise<AddSpansResult> } {
  const body = protobufBody(sdkSpans(100, 'sent'));
  const spans = decodeTraces(body, 'protobuf').items;
  return { ref: new WeakRef(spans), stored: client.addSpansCounted(spans, { encoding: 'protobuf', body }) };
}
