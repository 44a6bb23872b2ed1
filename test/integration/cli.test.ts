/** The headless CLI: `spanlens serve` and `spanlens show`, their contract, restarts and kills. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readCompressed } from '../../src/core/views/webviewHtml.js';
import { run, serve } from '../helpers/cli.js';
import { protobufBody, sdkSpans } from '../helpers/payloads.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-cli-'));
  dirs.push(dir);
  return path.join(dir, 'traces.db');
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function sendTrace(port: number): Promise<{ traceId: string; rootId: string; childId: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cli-test' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }))],
  });
  const tracer = provider.getTracer('cli');
  const root = tracer.startSpan('answer_question', { startTime: [1700000000, 0] });
  const child = tracer.startSpan('openai.chat', { startTime: [1700000000, 500], attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12 } }, trace.setSpan(ROOT_CONTEXT, root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  child.end([1700000000, 250000500]);
  root.end([1700000001, 0]);
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, childId: child.spanContext().spanId };
}

describe('spanlens serve / show', () => {
  it('prints its ports as one JSON line, stores spans, exits 0 on SIGTERM, and keeps them for the next start', async () => {
    const db = tempDb();
    const s = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    assert.ok(s.http > 0 && s.grpc > 0 && s.http !== s.grpc);
    const sent = await sendTrace(s.http);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);

    const s2 = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    const list = run(['show', '--db', db, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const [listed, ...others] = JSON.parse(list.stdout);
    assert.deepEqual(others, []);
    assert.match(listed.runId, /^auto-[0-9a-f]{8}-\d+$/);
    assert.deepEqual({ ...listed, runId: undefined }, {
      traceId: sent.traceId, name: 'answer_question', service: 'cli-test', spanCount: 2, errorCount: 1, startTimeUnixNano: '1700000000000000000', durationMs: 1000,
      // gpt-4o-mini at $0.15 per million input tokens
      llmCalls: 1, inputTokens: 12, outputTokens: 0, costUsd: 0.0000018, runId: undefined, pinned: false,
    });
    // An empty workspace: no span is placed in code (cliSource.test.ts covers placing them).
    const one = run(['show', sent.traceId, '--db', db, '--json', '--workspace', path.dirname(tempDb())]);
    assert.equal(one.code, 0, one.stderr);
    const shown = JSON.parse(one.stdout);
    const { llm, ...child } = shown.spans[1];
    assert.deepEqual({ ...shown, spans: [shown.spans[0], child] }, {
      traceId: sent.traceId,
      spans: [
        { spanId: sent.rootId, parentSpanId: null, name: 'answer_question', service: 'cli-test', startTimeUnixNano: '1700000000000000000', durationMs: 1000, status: 'unset', kind: 'other', attributes: {}, source: null },
        { spanId: sent.childId, parentSpanId: sent.rootId, name: 'openai.chat', service: 'cli-test', startTimeUnixNano: '1700000000000000500', durationMs: 250, status: 'error', kind: 'llm', attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12 }, source: null },
      ],
    });
    assert.deepEqual(
      { model: llm.requestModel, usage: llm.usage, cost: llm.costUsd, error: llm.error, input: llm.input, latency: llm.latencyMs },
      { model: 'gpt-4o-mini', usage: { inputTokens: 12, outputTokens: null, totalTokens: 12, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null }, cost: 0.0000018, error: 'timeout', input: [], latency: 250 },
    );
    assert.match(llm.contentMissing, /OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true/);
    s2.child.kill('SIGINT');
    assert.equal(await s2.exited, 0);
  });

  it('takes a free port when the asked one is taken, and says so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const s = await serve(['--http-port', String(taken), '--grpc-port', '0', '--db', tempDb()]);
    assert.notEqual(s.http, taken);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(s.stderr(), new RegExp(`port ${taken} is taken`));
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    blocker.close();
  });

  it('leaves a database that opens after SIGKILL during ingestion, missing at most the last second', async () => {
    const db = tempDb();
    const s = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    const acked: { at: number; traceId: string }[] = [];
    let stop = false;
    const sender = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        const spans = sdkSpans(50, `kill-${i}`);
        try {
          const res = await fetch(`http://127.0.0.1:${s.http}/v1/traces`, { method: 'POST', body: protobufBody(spans), headers: { 'content-type': 'application/x-protobuf' } });
          if (res.status === 200) acked.push({ at: Date.now(), traceId: spans[0]!.spanContext().traceId });
        } catch {
          return; // the server is gone
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 2500));
    const killedAt = Date.now();
    s.child.kill('SIGKILL');
    await s.exited;
    stop = true;
    await sender;
    assert.ok(acked.length > 20, `sent enough batches (${acked.length})`);

    const list = run(['show', '--db', db, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const stored = new Set((JSON.parse(list.stdout) as { traceId: string; spanCount: number }[]).map((t) => t.traceId));
    const mustHave = acked.filter((a) => a.at < killedAt - 1000);
    const missing = mustHave.filter((a) => !stored.has(a.traceId));
    assert.deepEqual(missing, [], 'every batch acknowledged more than a second before the kill is there');
    // And a writable open recovers it into a fresh snapshot.
    const s2 = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    s2.child.kill('SIGTERM');
    assert.equal(await s2.exited, 0);
    const again = JSON.parse(run(['show', '--db', db, '--json']).stdout) as unknown[];
    assert.ok(again.length >= mustHave.length);
  });

  it('explains errors on stderr with a non-zero exit code', () => {
    const db = tempDb();
    const missing = run(['show', '--db', db, '--json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no Spanlens database at .*traces\.db; run "spanlens serve --db/);

    const badFlag = run(['serve', '--no-such-flag']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /Unknown option '--no-such-flag'[\s\S]*Usage:/);

    const badPort = run(['serve', '--http-port', 'abc', '--db', `${db}.never`]);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--http-port must be a port number/);

    const badRetention = run(['serve', '--max-traces', '0', '--db', `${db}.never`]);
    assert.equal(badRetention.code, 2);
    assert.match(badRetention.stderr, /--max-traces must be a positive whole number/);

    writeFileSync(db, 'garbage'.repeat(1000));
    const corrupt = run(['show', '--db', db, '--json']);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /is not a readable Spanlens database/);
  });

  it('exports a trace to an OTLP JSON file and imports it into another database; show prints one line into a pipe, indented with --pretty', async () => {
    const db = tempDb();
    const s = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    const sent = await sendTrace(s.http);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    const out = `${db}.export.json`;
    const exported = run(['export', sent.traceId, '--db', db, '--out', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const other = tempDb();
    const imported = run(['import', out, '--db', other]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /2 spans in 1 traces, 0 log records/);
    const before = JSON.parse(run(['show', sent.traceId, '--db', db, '--json']).stdout);
    const after = JSON.parse(run(['show', sent.traceId, '--db', other, '--json']).stdout);
    assert.deepEqual(after, before);
    const bad = run(['import', `${db}.missing.json`, '--db', other]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot read .*missing\.json/);
    // Into a pipe the JSON is one line; --pretty indents it, with the same content.
    const piped = run(['show', sent.traceId, '--db', db, '--json']).stdout;
    const pretty = run(['show', sent.traceId, '--db', db, '--json', '--pretty']).stdout;
    assert.equal(piped.trimEnd().split('\n').length, 1);
    assert.ok(pretty.startsWith('{\n  "traceId": '), pretty.slice(0, 40));
    assert.deepEqual(JSON.parse(pretty), before);
    assert.equal(run(['show', '--db', db, '--json']).stdout.trimEnd().split('\n').length, 1);
    assert.ok(run(['show', '--db', db, '--json', '--pretty']).stdout.startsWith('[\n  {'));
    const both = run(['show', '--db', db, '--json', '--pretty', '--compact']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--pretty or --compact, not both/);
  });

  it('exports a trace as one self-contained HTML file: inline script and style, the trace embedded, no network', async () => {
    const db = tempDb();
    const fixture = path.join(__dirname, '..', 'fixtures', 'openllmetry', 'tools.otlp.json');
    assert.equal(run(['import', fixture, '--db', db]).code, 0);
    const traceId = (JSON.parse(run(['show', '--db', db, '--json']).stdout) as { traceId: string }[])[0]!.traceId;
    const file = `${db}.html`;
    const res = run(['export', traceId, '--db', db, '--html', file]);
    assert.equal(res.code, 0, res.stderr);
    const html = readFileSync(file, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replaceAll('&#39;', "'");
    assert.ok(csp?.startsWith("default-src 'none'"), `CSP: ${csp}`);
    assert.doesNotMatch(csp!, /https?:|connect-src/);
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing is loaded from elsewhere');
    const embedded = (id: string): unknown => {
      const text = new RegExp(`<script type="application/octet-stream" id="${id}">([A-Za-z0-9+/=]*)</script>`).exec(html)?.[1];
      assert.ok(text, `${id} is embedded`);
      return readCompressed(text);
    };
    const bundle = { view: embedded('spanlens-trace'), details: embedded('spanlens-details') } as { view: { traceId: string; spans: unknown[] }; details: Record<string, unknown> };
    assert.equal(bundle.view.traceId, traceId);
    assert.equal(Object.keys(bundle.details).length, bundle.view.spans.length);
    assert.ok(bundle.view.spans.length > 0);
    assert.equal(run(['export', traceId, '--db', db]).code, 2, 'export needs --out or --html');
  });

  it('says so when a trace id is unknown', async () => {
    const db = tempDb();
    const s = await serve(['--http-port', '0', '--grpc-port', '0', '--db', db]);
    s.child.kill('SIGTERM');
    await s.exited;
    const res = run(['show', '0123456789abcdef0123456789abcdef', '--db', db, '--json']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no trace 0123456789abcdef0123456789abcdef in this database; "spanlens show --json" lists/);
  });
});
