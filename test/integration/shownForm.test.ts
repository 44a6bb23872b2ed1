/**
 * Large traces kept as printed, end to end: real OTLP exporters send a 1,001-span trace to
 * `spanlens serve`; once the receiver has been quiet, its store worker keeps the trace's printed
 * form, and `spanlens show` prints it from there: the same JSON as from the bodies. A late span
 * makes show print from the bodies again.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateRawSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStore } from '../../src/core/store/spanStore.js';
import { FORM_MIN_SPANS, shownFormJson, shownFormVersion } from '../../src/core/views/cliViews.js';
import { makeTrace } from '../helpers/spans.js';
import { run, serve } from '../helpers/cli.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Sends `count` spans of one trace (a root and its children), or children of `parent` when given; returns the root's ids and the last child's span id. */
async function send(port: number, count: number, parent?: { traceId: string; spanId: string }): Promise<{ traceId: string; spanId: string; lastSpanId: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'forms' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }), { maxExportBatchSize: 256, maxQueueSize: 4096 })],
  });
  const tracer = provider.getTracer('forms');
  const root = parent ? trace.wrapSpanContext({ ...parent, traceFlags: 1 }) : tracer.startSpan('agent');
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  let lastSpanId = '';
  for (let i = parent ? 0 : 1; i < count; i++) {
    const llm = i % 2 === 1;
    const attributes = llm ? { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': i } : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' };
    const span = tracer.startSpan(llm ? 'chat gpt-4o-mini' : 'execute_tool search', { attributes }, ctx);
    span.end();
    lastSpanId = span.spanContext().spanId;
  }
  if (!parent) (root as ReturnType<typeof tracer.startSpan>).end();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId, lastSpanId };
}

/** Whether the files hold a current form of the trace, as a reader of them (the CLI) finds it. */
async function formInFiles(db: string, traceId: string): Promise<boolean> {
  const store = await SpanStore.open({ path: db, readOnly: true });
  try {
    return shownFormJson(store, traceId) !== undefined;
  } finally {
    await store.close();
  }
}

describe('spanlens show of a large trace', () => {
  it('prints the form serve kept once quiet, the same JSON as from the bodies, and the bodies again after a late span', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-forms-'));
    dirs.push(dir);
    const db = path.join(dir, 'traces.db');
    // A workspace of no files: show places no span, the case the form is kept for.
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const s = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    try {
      const root = await send(s.http, FORM_MIN_SPANS + 1);
      assert.equal(await formInFiles(db, root.traceId), false, 'no form while spans may still come');
      const deadline = Date.now() + 20_000;
      while (!(await formInFiles(db, root.traceId))) {
        assert.ok(Date.now() < deadline, `no form 20 s after the last span; serve said: ${s.stderr()}`);
        await sleep(250);
      }
      const fromForm = run(['show', root.traceId, '--db', db, '--json', '--workspace', empty]);
      assert.equal(fromForm.code, 0, fromForm.stderr);
      assert.equal(fromForm.stderr, '');
      // --pretty always prints from the bodies.
      const fromBodies = run(['show', root.traceId, '--db', db, '--json', '--pretty', '--workspace', empty]);
      const shown = JSON.parse(fromForm.stdout) as { spans: { spanId: string; kind: string; source: unknown }[] };
      assert.deepEqual(shown, JSON.parse(fromBodies.stdout));
      assert.equal(shown.spans.length, FORM_MIN_SPANS + 1);
      assert.equal(shown.spans.filter((x) => x.kind === 'llm').length, FORM_MIN_SPANS / 2);
      assert.ok(shown.spans.every((x) => x.source === null));

      const late = await send(s.http, 1, root);
      assert.equal(await formInFiles(db, root.traceId), false, 'the late span makes the form stale');
      const again = JSON.parse(run(['show', root.traceId, '--db', db, '--json', '--workspace', empty]).stdout) as { spans: { spanId: string }[] };
      assert.equal(again.spans.length, FORM_MIN_SPANS + 2);
      assert.ok(again.spans.some((x) => x.spanId === late.lastSpanId), 'the late span is shown');
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  it('reads the kept form only for compact output in a workspace of no files (--pretty and a workspace with files print from the bodies); import keeps forms', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-forms-'));
    dirs.push(dir);
    const db = path.join(dir, 'traces.db');
    const empty = path.join(dir, 'empty');
    const files = path.join(dir, 'code');
    mkdirSync(empty);
    mkdirSync(files);
    writeFileSync(path.join(files, 'app.ts'), 'export const answer = 42;\n');
    const spans = makeTrace(FORM_MIN_SPANS);
    const traceId = spans[0]!.traceId;
    const store = await SpanStore.open({ path: db });
    store.addSpans(spans);
    // A form of the trace's current key that is not what the bodies print: which one show read is plain.
    store.putShownForm({ traceId, key: store.formKey(traceId, shownFormVersion())!, form: deflateRawSync('{"marked":"by the test"}') });
    await store.close();

    assert.equal(run(['show', traceId, '--db', db, '--json', '--workspace', empty]).stdout, '{"marked":"by the test"}\n');
    const pretty = JSON.parse(run(['show', traceId, '--db', db, '--json', '--pretty', '--workspace', empty]).stdout) as { spans: unknown[] };
    assert.equal(pretty.spans.length, FORM_MIN_SPANS);
    const placed = JSON.parse(run(['show', traceId, '--db', db, '--json', '--workspace', files]).stdout) as { spans: unknown[] };
    assert.equal(placed.spans.length, FORM_MIN_SPANS);

    // An imported trace is finished: import keeps its form at once.
    const file = path.join(dir, 'trace.json');
    assert.equal(run(['export', traceId, '--db', db, '--out', file]).code, 0);
    const other = path.join(dir, 'other.db');
    assert.equal(run(['import', file, '--db', other]).code, 0);
    assert.equal(await formInFiles(other, traceId), true);
    assert.deepEqual(JSON.parse(run(['show', traceId, '--db', other, '--json', '--workspace', empty]).stdout), pretty);
  });
});
