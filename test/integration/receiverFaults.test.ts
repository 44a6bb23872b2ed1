/**
 * Receiver faults: many large gRPC exports at once stay within the in-flight budget (shared with
 * OTLP/HTTP) and all arrive; a listening port lost at run time is listened on again (the same
 * port, or a free one when it was taken), and the change is reported.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { LogRecord, Span } from '../../src/core/model.js';
import { type RawBody, SpanStore } from '../../src/core/store/spanStore.js';
import { InFlightBudget } from '../../src/receiver/inFlight.js';
import { OtlpReceiver, type ReceiverChange } from '../../src/receiver/receiver.js';
import type { IngestSink } from '../../src/receiver/sink.js';
import { protobufBody } from '../helpers/payloads.js';
import { eventually } from '../helpers/receiver.js';

const MiB = 1024 * 1024;
const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** `count` spans with `kb` KB of prompt each, in one batch. */
function bigSpans(count: number, kb: number, name: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'faults' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('faults');
  for (let i = 0; i < count; i++) tracer.startSpan(`${name} ${i}`, { attributes: { 'gen_ai.prompt': `${i}`.padEnd(kb * 1024, 'x') } }).end();
  return memory.getFinishedSpans().slice();
}

const exportWith = (exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResultCode> =>
  new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));

/** The store behind a gate: while closed, batches wait (and hold their share of the budget). */
class GatedSink implements IngestSink {
  private opened: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  constructor(readonly store: SpanStore) {}

  close(): void {
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  async addSpans(spans: Span[], raw?: RawBody): Promise<number> {
    await this.opened;
    return this.store.addSpans(spans, raw);
  }

  async addLogs(logs: LogRecord[], raw?: RawBody): Promise<number> {
    await this.opened;
    return this.store.addLogs(logs, raw);
  }
}

interface Harness {
  receiver: OtlpReceiver;
  sink: GatedSink;
  logs: string[];
  changes: ReceiverChange[];
}

async function start(options: { maxBodyBytes?: number; maxInFlightBytes?: number } = {}): Promise<Harness> {
  const sink = new GatedSink(await SpanStore.open({}));
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  const receiver = new OtlpReceiver({ sink, log, httpPort: 0, grpcPort: 0, retryDelaysMs: [20, 50, 100], ...options });
  const changes: ReceiverChange[] = [];
  receiver.onDidChange((c) => changes.push(c));
  await receiver.start();
  return { receiver, sink, logs, changes };
}

async function stop(h: Harness): Promise<void> {
  h.sink.open();
  await h.receiver.stop();
  await h.sink.store.close();
}

describe('the in-flight budget', () => {
  it('waiting calls get room first come, first served; newcomers do not pass them; a lone request may pass the limit', async () => {
    const budget = new InFlightBudget(100);
    const holder = budget.share();
    assert.ok(holder.take(80));
    const big = budget.share();
    const small = budget.share();
    const order: string[] = [];
    const bigIn = budget.takeWhenRoom(big, 60, Date.now() + 5000).then((ok) => order.push(`big ${ok}`));
    const smallIn = budget.takeWhenRoom(small, 10, Date.now() + 5000).then((ok) => order.push(`small ${ok}`));
    assert.equal(budget.share().take(5), false, 'a newcomer (an HTTP request) waits behind the line');
    assert.equal(budget.stats.waiting, 2);
    holder.release();
    await Promise.all([bigIn, smallIn]);
    assert.deepEqual(order, ['big true', 'small true']);
    assert.equal(budget.stats.heldBytes, 70);
    big.release();
    small.release();
    const alone = budget.share();
    assert.ok(alone.take(150), 'alone, past the limit');
    assert.equal(budget.stats.peakBytes, 150);
    alone.release();
    assert.equal(budget.stats.heldBytes, 0);
  });

  it('a wait ends unserved at its time or when its call ends, and the next in line moves up', async () => {
    const budget = new InFlightBudget(100);
    const holder = budget.share();
    holder.take(90);
    const cancelled = new AbortController();
    const first = budget.takeWhenRoom(budget.share(), 50, Date.now() + 5000, cancelled.signal);
    const second = budget.takeWhenRoom(budget.share(), 5, Date.now() + 50);
    const third = budget.share();
    const thirdIn = budget.takeWhenRoom(third, 10, Date.now() + 5000);
    assert.equal(await second, false, 'timed out');
    cancelled.abort();
    assert.equal(await first, false, 'cancelled');
    assert.equal(await thirdIn, true, 'then fits behind the 90 held');
    assert.equal(budget.stats.heldBytes, 100);
    assert.equal(budget.stats.waiting, 0);
    third.release();
    assert.equal(third.take(1), false, 'a released share takes nothing more');
  });
});

describe('gRPC: bytes in flight stay within the budget', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start({ maxBodyBytes: 4 * MiB, maxInFlightBytes: 3 * MiB });
  });
  afterEach(() => stop(h));

  it('concurrent large exports past the budget wait for room and are all delivered; never more held than the budget', async () => {
    const exporter = new GrpcExporter({ url: `http://127.0.0.1:${h.receiver.address!.grpc}`, timeoutMillis: 30_000 });
    const batches = Array.from({ length: 10 }, (_, i) => bigSpans(20, 48, `big-${i}`)); // about 1 MB each
    assert.ok(protobufBody(batches[0]!).length > 0.9 * MiB);
    const sockets: net.Socket[] = [];
    (h.receiver['grpcSocket'] as net.Server).on('connection', (socket: net.Socket) => sockets.push(socket));
    h.sink.close();
    const results = Promise.all(batches.map((spans) => exportWith(exporter, spans)));
    // With the store held, the budget fills and the rest wait in line, their messages unread.
    await eventually(() => (h.receiver.inFlight.waiting >= 5 && h.receiver.inFlight.heldBytes >= 2 * MiB ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it settle: the admitted ones read
    const held = h.receiver.inFlight;
    assert.ok(held.heldBytes <= 3 * MiB, `held ${held.heldBytes}`);
    assert.ok(held.heldBytes >= 2 * MiB, `the budget is in use: ${held.heldBytes}`);
    // Read off the wire: the admitted messages, and no more than an HTTP/2 window of each waiting one.
    const read = sockets.reduce((n, socket) => n + socket.bytesRead, 0);
    assert.ok(read <= held.heldBytes + (held.waiting + 1) * 128 * 1024, `read ${read} bytes of about ${10 * MiB} sent, holding ${held.heldBytes}, ${held.waiting} waiting`);
    h.sink.open();
    assert.deepEqual(await results, Array(10).fill(ExportResultCode.SUCCESS), 'every export succeeded');
    assert.equal(h.sink.store.spanCount, 10 * 20, 'none lost');
    const after = h.receiver.inFlight;
    assert.ok(after.peakBytes <= 3 * MiB, `peak ${after.peakBytes} within the budget`);
    assert.ok(after.waited >= 5, `calls waited: ${after.waited}`);
    assert.equal(after.heldBytes, 0, 'all given back');
    assert.equal(after.waiting, 0);
    await exporter.shutdown();
  });

  it('a call that cannot get room before its deadline is answered UNAVAILABLE (retryable), before the deadline', async () => {
    const client = new grpc.Client(`127.0.0.1:${h.receiver.address!.grpc}`, grpc.credentials.createInsecure());
    const call = (body: Buffer, deadlineMs: number): Promise<Buffer> =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(TRACE_EXPORT, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res!))),
      );
    try {
      h.sink.close();
      const big = protobufBody(bigSpans(50, 48, 'holder')); // about 2.4 MB: with the next, past 3 MB
      const holder = call(big, 30_000);
      await eventually(() => (h.receiver.inFlight.heldBytes >= big.length ? true : undefined));
      const started = Date.now();
      await assert.rejects(call(protobufBody(bigSpans(20, 48, 'late')), 1000), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNAVAILABLE, err.message);
        assert.match(err.details, /busy/);
        return true;
      });
      const waited = Date.now() - started;
      assert.ok(waited >= 600 && waited < 1000, `answered before the deadline, after waiting: ${waited} ms`);
      assert.ok(h.logs.some((l) => /\[receiver\] 1 gRPC export\(s\) answered UNAVAILABLE/.test(l)), h.logs.join('\n'));
      h.sink.open();
      await holder;
      assert.equal(h.sink.store.spanCount, 50);
      assert.equal(h.receiver.inFlight.heldBytes, 0);
    } finally {
      client.close();
    }
  });

  it('one budget for the receiver: while gRPC calls hold it, OTLP/HTTP is answered 503 with Retry-After', async () => {
    const exporter = new GrpcExporter({ url: `http://127.0.0.1:${h.receiver.address!.grpc}`, timeoutMillis: 30_000 });
    h.sink.close();
    const results = Promise.all(Array.from({ length: 5 }, (_, i) => exportWith(exporter, bigSpans(20, 48, `g-${i}`))));
    await eventually(() => (h.receiver.inFlight.waiting >= 1 ? true : undefined));
    const res = await fetch(`http://127.0.0.1:${h.receiver.address!.http}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(bigSpans(10, 48, 'http')),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    h.sink.open();
    assert.deepEqual(await results, Array(5).fill(ExportResultCode.SUCCESS));
    await exporter.shutdown();
  });
});

describe('a port lost at run time', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(() => stop(h));

  const httpServer = (r: OtlpReceiver): http.Server => r['httpServer'] as http.Server;

  it('OTLP/HTTP closed under the receiver: it says so, listens on the same port again, and exports arrive', async () => {
    const port = h.receiver.address!.http;
    httpServer(h.receiver).close();
    const back = await eventually(() => h.changes.find((c) => c.kind === 'listening'));
    assert.deepEqual(
      h.changes.map((c) => c.kind),
      ['recovering', 'listening'],
    );
    assert.equal(back.kind === 'listening' && back.address.http, port, 'the same port');
    assert.equal(back.kind === 'listening' && back.moved, false);
    assert.ok(h.logs.some((l) => l.startsWith('[receiver] OTLP/HTTP stopped listening on 127.0.0.1:') && /not by Spanlens/.test(l)), h.logs.join('\n'));
    assert.ok(h.logs.some((l) => l === `[receiver] OTLP/HTTP is listening on 127.0.0.1:${port} again`), h.logs.join('\n'));
    const exporter = new ProtoExporter({ url: `http://127.0.0.1:${h.receiver.address!.http}/v1/traces` });
    assert.equal(await exportWith(exporter, bigSpans(3, 1, 'after')), ExportResultCode.SUCCESS);
    assert.equal(h.sink.store.spanCount, 3);
    await exporter.shutdown();
  });

  it('taken meanwhile: after a few attempts it moves to a free port and reports the new one', async () => {
    const port = h.receiver.address!.http;
    httpServer(h.receiver).close();
    // Someone else takes the port before the receiver tries again.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const back = await eventually(() => h.changes.find((c) => c.kind === 'listening'));
      assert.ok(back.kind === 'listening' && back.moved && back.address.http !== port, JSON.stringify(back));
      assert.equal(h.receiver.address!.http, back.address.http);
      assert.ok(h.logs.some((l) => l.includes(`[receiver] port ${port} is taken now; OTLP/HTTP moved to 127.0.0.1:${back.address.http}`)), h.logs.join('\n'));
      const exporter = new ProtoExporter({ url: `http://127.0.0.1:${back.address.http}/v1/traces` });
      assert.equal(await exportWith(exporter, bigSpans(2, 1, 'moved')), ExportResultCode.SUCCESS);
      assert.equal(h.sink.store.spanCount, 2);
      await exporter.shutdown();
    } finally {
      squatter.close();
    }
  });

  it('OTLP/gRPC closed under the receiver, with a connection open: noticed, listening again, the exporter delivers', async () => {
    const port = h.receiver.address!.grpc;
    const first = new GrpcExporter({ url: `http://127.0.0.1:${port}`, timeoutMillis: 10_000 });
    assert.equal(await exportWith(first, bigSpans(1, 1, 'before')), ExportResultCode.SUCCESS);
    // 'close' waits for the open connection; the keeper notices anyway.
    (h.receiver['grpcSocket'] as net.Server).close();
    const back = await eventually(() => h.changes.find((c) => c.kind === 'listening'), 5000);
    assert.equal(back.kind === 'listening' && back.address.grpc, port);
    assert.ok(h.logs.some((l) => l.startsWith('[receiver] OTLP/gRPC stopped listening')), h.logs.join('\n'));
    const second = new GrpcExporter({ url: `http://127.0.0.1:${port}`, timeoutMillis: 10_000 });
    assert.equal(await exportWith(second, bigSpans(2, 1, 'after')), ExportResultCode.SUCCESS);
    assert.equal(h.sink.store.spanCount, 3);
    await Promise.all([first.shutdown(), second.shutdown()]);
  });

  it('an error while still listening (an accept failure) is logged once and changes nothing', async () => {
    const server = httpServer(h.receiver);
    const emfile = (): Error => Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
    server.emit('error', emfile());
    server.emit('error', emfile());
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past a listening check
    assert.deepEqual(h.changes, []);
    assert.equal(h.logs.filter((l) => l.includes('accept EMFILE (still listening)')).length, 1, h.logs.join('\n'));
    assert.ok(server.listening);
  });

  it('cannot listen again: the receiver stops and reports why', async () => {
    const server = httpServer(h.receiver);
    // The address is gone (a network interface went away, say): every listen fails.
    server.listen = ((..._args: unknown[]) => {
      process.nextTick(() => server.emit('error', Object.assign(new Error('listen EADDRNOTAVAIL: address not available 127.0.0.1'), { code: 'EADDRNOTAVAIL' })));
      return server;
    }) as typeof server.listen;
    server.close();
    const stopped = await eventually(() => h.changes.find((c) => c.kind === 'stopped'));
    assert.match(stopped.kind === 'stopped' ? stopped.reason : '', /^OTLP\/HTTP lost port \d+ \(.*\) and cannot listen again: listen EADDRNOTAVAIL/);
    assert.equal(h.receiver.address, undefined);
    assert.ok(h.logs.some((l) => l.startsWith('[receiver] stopped: OTLP/HTTP lost port')), h.logs.join('\n'));
  });
});
