/**
 * Faults across processes, with the built CLI (`node scripts/build.mjs` first): a receiver
 * killed mid-ingest loses no batch it acknowledged, and two receivers on one database do not
 * overwrite each other. SPANLENS_TEST_CLI runs another build (to show a fault on an old one).
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { StoreClient } from '../../src/core/store/storeClient.js';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import { CLI } from '../helpers/cli.js';
import { protobufBody, sdkSpans } from '../helpers/payloads.js';

const cli = process.env.SPANLENS_TEST_CLI ?? CLI;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Serving {
  child: ChildProcessWithoutNullStreams;
  http: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function serve(db: string): Promise<Serving> {
  const child = spawn(process.execPath, [cli, 'serve', '--db', db, '--http-port', '0', '--grpc-port', '0'], { stdio: 'pipe' });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const first = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${err}`))),
  ]);
  return { child, http: (JSON.parse(first) as { http: number }).http, stderr: () => err, exited };
}

function exportBatch(exporter: ProtoExporter, spans: ReadableSpan[]): Promise<boolean> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code === ExportResultCode.SUCCESS)));
}

async function storedSpanIds(db: string): Promise<Set<string>> {
  const store = await SpanStore.open({ path: db, readOnly: true });
  try {
    const ids = new Set<string>();
    for (const t of store.listTraces(1_000_000)) for (const s of store.getTrace(t.traceId)) ids.add(s.spanId);
    return ids;
  } finally {
    await store.close();
  }
}

function tempDb(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-faults-it-'));
  dirs.push(dir);
  return path.join(dir, 'spans.db');
}

describe('store faults across processes', () => {
  it('keeps every batch it acknowledged when the receiver is killed mid-ingest', { timeout: 120_000 }, async () => {
    const db = tempDb();
    const served = await serve(db);
    const exporter = new ProtoExporter({ url: `http://127.0.0.1:${served.http}/v1/traces`, timeoutMillis: 5000 });
    const acknowledged: string[] = [];
    let sent = 0;
    let killed = false;
    // Four exporters' worth of batches in flight, as a busy app would send; kill once 40 are in.
    // Each lane sends until an export fails, so that batches are still being sent when the
    // receiver dies, whatever the timing (those are not acknowledged and need not be kept).
    const lanes = Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; ; i++) {
        const spans = sdkSpans(50, `lane ${lane} batch ${i}`);
        sent++;
        if (!(await exportBatch(exporter, spans))) return;
        acknowledged.push(...spans.map((s) => s.spanContext().spanId));
        if (!killed && acknowledged.length >= 40 * 50) {
          killed = true;
          served.child.kill('SIGKILL');
        }
      }
    });
    await Promise.all(lanes);
    if (!killed) served.child.kill('SIGKILL');
    await served.exited;
    assert.ok(killed, `exports failed before the receiver was killed: ${acknowledged.length / 50} of ${sent} batches acknowledged`);
    await exporter.shutdown();
    assert.ok(acknowledged.length >= 40 * 50 && sent > acknowledged.length / 50, `sent ${sent} batches, ${acknowledged.length / 50} acknowledged`);
    // Restarted: the store recovers from its files (and writes a fresh snapshot).
    const again = await serve(db);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0, again.stderr());
    const stored = await storedSpanIds(db);
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.equal(lost.length, 0, `${lost.length} of ${acknowledged.length} acknowledged spans were lost`);
  });

  it('a second receiver on the same database writes beside it and says so; the next one alone adds its spans back', { timeout: 60_000 }, async () => {
    const db = tempDb();
    const first = await serve(db);
    const second = await serve(db);
    assert.match(second.stderr(), /\(pid \d+\) is storing this workspace's traces in .*; this one stores its own in .*spans\.db-2/);
    const a = sdkSpans(5, 'first window');
    const b = sdkSpans(5, 'second window');
    const toFirst = new ProtoExporter({ url: `http://127.0.0.1:${first.http}/v1/traces` });
    const toSecond = new ProtoExporter({ url: `http://127.0.0.1:${second.http}/v1/traces` });
    assert.ok(await exportBatch(toFirst, a));
    assert.ok(await exportBatch(toSecond, b));
    await Promise.all([toFirst.shutdown(), toSecond.shutdown()]);
    second.child.kill('SIGKILL'); // the second window is killed, the first closes
    await second.exited;
    first.child.kill('SIGTERM');
    await first.exited;
    const third = await serve(db);
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0);
    assert.match(third.stderr(), /Added 1 traces that another window had stored in .*spans\.db-2/);
    const stored = await storedSpanIds(db);
    for (const s of [...a, ...b]) assert.ok(stored.has(s.spanContext().spanId), 'both windows\' spans are in the database');
  });

  it('the store worker counts spans over the per-trace limit, for the partial-success answer, and marks the trace', async () => {
    const db = tempDb();
    const client = await StoreClient.open({ path: db, maxSpansPerTrace: 30 });
    const spans = sdkSpans(50, 'agent loop');
    const body = protobufBody(spans);
    const result = await client.addSpansCounted(decodeTraces(body, 'protobuf').items, { encoding: 'protobuf', body });
    assert.deepEqual(result, { stored: 30, truncated: 20, maxSpansPerTrace: 30 });
    const [trace] = await client.call('listTraces', 10);
    assert.equal(trace!.spanCount, 30);
    assert.equal(trace!.truncatedSpans, 20);
    await client.close();
  });
});
