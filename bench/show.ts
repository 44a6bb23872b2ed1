/**
 * Figures of the LLM-model issue: `spanlens show TRACE_ID --json` on a 10,000-span trace (the
 * whole command, as a user runs it: process start, opening the database, reading, printing) and
 * the store's bytes per span apart from the payload (the request bodies).
 *
 * Show is measured twice: once the trace's printed form is kept (what the store worker makes once
 * the receiver has been quiet for a few seconds, and what import makes at once), and from the
 * bodies (decoding and normalizing every span: before the form is made, with --pretty, or in a
 * workspace with files, where each span is placed in the code).
 * Run by `npm run bench` after bench/run.ts; writes bench/results/show.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraces } from '../src/core/otlp/decode.js';
import { SpanStore } from '../src/core/store/spanStore.js';
import { newSqlEngine } from '../src/core/store/sqlite.js';
import { makeShownForms } from '../src/core/views/cliViews.js';
import { fmt, table } from './stats.js';

const SPANS = 10_000;
const RUNS = 5;
const CLI = path.join(__dirname, '../dist/cli.js');

/** One trace of SPANS spans: an agent root, LLM calls with prompts and usage, tool calls. */
function bigTrace(): { traceId: string; bodies: Buffer[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'agent' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('bench');
  const root = tracer.startSpan('invoke_agent research', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'research' } });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 1; i < SPANS; i++) {
    const llm = i % 2 === 1;
    tracer
      .startSpan(llm ? 'chat gpt-4o-mini' : 'execute_tool search', {
        attributes: llm
          ? {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o-mini',
              'gen_ai.usage.input_tokens': 120 + (i % 50),
              'gen_ai.usage.output_tokens': 30 + (i % 20),
              'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `Step ${i}: summarise what the last tool returned about the topic in two sentences.` }] }]),
              'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `Summary ${i}: the sources agree on the main point; one disagrees on the date.` }], finish_reason: 'stop' }]),
            }
          : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.arguments': `{"q":"topic ${i}"}`, 'gen_ai.tool.call.result': `[${i}, ${i + 1}]` },
      }, ctx)
      .end();
  }
  root.end();
  const spans = exporter.getFinishedSpans();
  const bodies: Buffer[] = [];
  for (let at = 0; at < spans.length; at += 512) bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.slice(at, at + 512))!));
  return { traceId: root.spanContext().traceId, bodies };
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'spanlens-show-'));
  try {
    const db = path.join(work, 'spans.db');
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    const { traceId, bodies } = bigTrace();
    const store = await SpanStore.open({ path: db });
    for (const body of bodies) store.addSpans(decodeTraces(body, 'protobuf').items, { encoding: 'protobuf', body });
    await store.close();

    // From an empty folder: `show` maps spans to the current directory's code, and this figure is the trace alone.
    const showRuns = (): { times: number[]; bytes: number } => {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const out = execFileSync(process.execPath, [CLI, 'show', traceId, '--db', db, '--json'], { maxBuffer: 1 << 30, cwd: empty });
        times.push(performance.now() - t);
        bytes = out.length;
        if (i === 0 && (JSON.parse(out.toString()) as { spans: unknown[] }).spans.length !== SPANS) throw new Error('show did not print every span');
      }
      return { times: times.sort((a, b) => a - b), bytes };
    };
    const fromBodies = showRuns();
    const writer = await SpanStore.open({ path: db });
    const t = performance.now();
    if (makeShownForms(writer).made !== 1) throw new Error('no printed form was made');
    const makeMs = performance.now() - t;
    await writer.close();
    const fromForm = showRuns();
    if (fromForm.bytes !== fromBodies.bytes) throw new Error('show printed other JSON from the form');
    const bytes = fromForm.bytes;
    const times = fromForm.times;

    const { SQL } = await newSqlEngine();
    const { readFileSync } = await import('node:fs');
    const sqlDb = new SQL.Database(readFileSync(db));
    const one = (sql: string): number => sqlDb.exec(sql)[0]!.values[0]![0] as number;
    const pageBytes = one('PRAGMA page_count') * one('PRAGMA page_size') - one('PRAGMA freelist_count') * one('PRAGMA page_size');
    const payload = one('SELECT SUM(LENGTH(body)) FROM bodies');
    const formBytes = one('SELECT SUM(LENGTH(form)) FROM shown_forms');
    const spans = one('SELECT COUNT(*) FROM spans');
    sqlDb.close();

    const result = {
      showMs: { median: times[Math.floor(RUNS / 2)]!, min: times[0]!, max: times.at(-1)! },
      showFromBodiesMs: { median: fromBodies.times[Math.floor(RUNS / 2)]!, min: fromBodies.times[0]!, max: fromBodies.times.at(-1)! },
      makeFormMs: makeMs,
      outputBytes: bytes,
      bytesPerSpanExcludingPayload: (pageBytes - payload - formBytes) / spans,
      payloadBytesPerSpan: payload / spans,
      formBytesPerSpan: formBytes / spans,
    };
    process.stdout.write(
      `\n${table(
        ['#', 'Figure', 'Measured', 'Target', 'Verdict'],
        [
          ['4', `spanlens show TRACE_ID --json, a ${SPANS.toLocaleString('en')}-span trace, its form kept (whole command, median of ${RUNS})`, `${fmt(result.showMs.median, 0)} ms`, '< 300 ms', result.showMs.median < 300 ? 'PASS' : 'FAIL'],
          ['', '  min / max; JSON printed', `${fmt(result.showMs.min, 0)} / ${fmt(result.showMs.max, 0)} ms; ${fmt(bytes / 1e6, 1)} MB`, '', ''],
          ['', '  from the bodies (before the form is made, --pretty, a workspace with files): median, min / max', `${fmt(result.showFromBodiesMs.median, 0)} ms, ${fmt(result.showFromBodiesMs.min, 0)} / ${fmt(result.showFromBodiesMs.max, 0)} ms`, 'reported', ''],
          ['', '  making the form (the store worker, once quiet)', `${fmt(makeMs, 0)} ms`, '', ''],
          ['5', 'store bytes per span apart from the payload and the form (index row, trace and run rows, indexes)', `${fmt(result.bytesPerSpanExcludingPayload, 0)} B`, 'reported', ''],
          ['', '  payload (the OTLP body) per span; printed form per span', `${fmt(result.payloadBytesPerSpan, 0)} B; ${fmt(result.formBytesPerSpan, 0)} B`, '', ''],
        ],
      )}\n`,
    );
    mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    writeFileSync(path.join(__dirname, 'results', 'show.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
