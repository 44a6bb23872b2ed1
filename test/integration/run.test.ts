/**
 * `spanlens run` end to end: real programs (test/fixtures/run-apps) with the real openai SDK,
 * the built preload (dist/runtime/node) and CLI; spans checked through `spanlens show --json`.
 * Needs `node scripts/build.mjs` first.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LlmCall } from '../../src/shared/llm';
import { CLI } from '../helpers/cli';
import { FAKE, startFakeOpenAI, type FakeOpenAI } from '../helpers/fakeOpenAI';
import { FAKE_PROVIDERS, startFakeProviders } from '../helpers/fakeProviders';

const APPS = path.resolve(__dirname, '../fixtures/run-apps');

interface ShownSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  attributes: Record<string, unknown>;
  kind: string;
  status: string;
  durationMs: number;
  llm?: LlmCall;
  source: { path: string; line: number; method: string } | null;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  db: string;
}

let fake: FakeOpenAI;
let tmp: string;

before(async () => {
  fake = await startFakeOpenAI();
  tmp = mkdtempSync(path.join(tmpdir(), 'spanlens-run-'));
});
after(async () => {
  await fake.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Async (not spawnSync): the fake server runs in this process. */
function runApp(dir: string, command: string[], name: string, onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const db = path.join(tmp, `${name}.db`);
  const cwd = path.join(APPS, dir);
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-fake', ...extraEnv };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [CLI, 'run', '--db', db, '--workspace', cwd, '--', ...command], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, (s) => child.kill(s));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, db })));
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function spansOf(ran: Ran, workspace: string): ShownSpan[] {
  const list = JSON.parse(cli(['show', '--json', '--db', ran.db])) as { traceId: string }[];
  return list.flatMap((t) => (JSON.parse(cli(['show', t.traceId, '--json', '--db', ran.db, '--workspace', workspace])) as { spans: ShownSpan[] }).spans);
}

/** The 1-based line of the `// call:NAME` marker in a fixture file. */
function markerLine(file: string, name: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(`// call:${name}`));
  assert.ok(i >= 0, `no marker call:${name} in ${file}`);
  return i + 1;
}

function assertCallSite(span: ShownSpan, file: string, line: number): void {
  assert.equal(span.attributes['code.file.path'], file, `code.file.path of ${span.name}`);
  assert.equal(span.attributes['code.line.number'], line, `code.line.number of ${span.name}`);
  assert.equal(span.source?.method, 'attribute');
  assert.equal(span.source?.line, line);
}

const llmSpans = (spans: ShownSpan[]): ShownSpan[] => spans.filter((s) => s.kind === 'llm');

describe('spanlens run', { timeout: 120_000 }, () => {
  it('traces a CommonJS program: each call has the file and line of its create(), streams their first token and usage, failures their error', async () => {
    const ran = await runApp('cjs', ['node', 'app.cjs'], 'cjs');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Paris is the capital of France\. \| Paris is the capital of France\. \| 4 dimensions \| 429,429/);
    const file = path.join(APPS, 'cjs/app.cjs');
    const calls = spansOf(ran, path.join(APPS, 'cjs')).filter((s) => s.llm);
    const at = (name: string): ShownSpan => {
      const line = markerLine(file, name);
      const found = calls.filter((s) => s.attributes['code.line.number'] === line);
      assert.equal(found.length, 1, `one span for call:${name} (line ${line}); spans at ${calls.map((s) => s.attributes['code.line.number']).join(', ')}`);
      assertCallSite(found[0]!, file, line);
      return found[0]!;
    };
    assert.equal(calls.length, 6);

    const plain = at('plain');
    assert.equal(plain.llm?.ttftMs, null);
    assert.equal(plain.status, 'unset');

    const stream = at('stream');
    // The fake server sends its first chunk after FAKE.firstChunkDelayMs, the rest soon after.
    assert.ok(stream.llm!.ttftMs! >= FAKE.firstChunkDelayMs - 5, `ttft ${stream.llm?.ttftMs}`);
    assert.ok(stream.llm!.ttftMs! < stream.durationMs, `ttft ${stream.llm?.ttftMs} within ${stream.durationMs} ms`);
    assert.equal(stream.llm?.usage.inputTokens, FAKE.answerUsage.prompt_tokens);
    assert.equal(stream.llm?.usage.outputTokens, FAKE.answerUsage.completion_tokens);
    assert.equal(stream.llm?.output[0]?.content, FAKE.answer);

    const embedding = at('embedding');
    assert.equal(embedding.kind, 'embedding');
    assert.equal(embedding.llm?.requestModel, 'text-embedding-3-small');
    assert.equal(embedding.llm?.usage.inputTokens, FAKE.embeddingTokensPerInput);
    assert.equal(embedding.attributes['gen_ai.embeddings.dimension.count'], FAKE.embeddingDimensions);
    assert.equal(embedding.llm?.input[0]?.content, 'Paris');

    for (const name of ['fail', 'failStream']) {
      const failed = at(name);
      assert.equal(failed.status, 'error', `status of call:${name}`);
      assert.match(failed.llm?.error ?? '', /429|Rate limit reached/, `error of call:${name}`);
      assert.equal(failed.attributes['error.type'], String(FAKE.failStatus));
    }

    // Read only up to its first chunk: the span still ends, and is exported.
    const early = at('early');
    assert.equal(early.status, 'unset');
    assert.ok(early.llm!.ttftMs! >= FAKE.firstChunkDelayMs - 5);

    assert.match(ran.stderr, /spanlens: run summary/);
    assert.match(ran.stderr, /LLM calls\s+6/);
    assert.match(ran.stderr, /errors\s+2/);
    assert.match(ran.stderr, /slowest call\s+\S.* \d+ ms at app\.cjs:\d+/);
  });

  it('traces an ES module program (import OpenAI from "openai")', async () => {
    const ran = await runApp('esm', ['node', 'app.mjs'], 'esm');
    assert.equal(ran.code, 0, ran.stderr);
    const file = path.join(APPS, 'esm/app.mjs');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'esm')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
    assert.equal(spans[0]!.attributes['code.function.name'], 'ask');
  });

  it('runs TypeScript with the workspace tsx and maps the call site through its source map', async () => {
    const ran = await runApp('ts', ['node', 'app.ts'], 'ts');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Paris/);
    const file = path.join(APPS, 'ts/app.ts');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'ts')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
  });

  it('runs an ES module TypeScript file (.mts, top-level await) with tsx', async () => {
    const ran = await runApp('ts', ['node', 'esm.mts'], 'ts-esm');
    assert.equal(ran.code, 0, ran.stderr);
    const file = path.join(APPS, 'ts/esm.mts');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'ts')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
  });

  it('traces LangChain (CommonJS) through the program\'s own @langchain/core: one tree per chain, every span on the invoke line', async () => {
    const ran = await runApp('langchain', ['node', 'app.cjs'], 'langchain-cjs');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Paris is the capital of France\./);
    const file = path.join(APPS, 'langchain/app.cjs');
    const spans = spansOf(ran, path.join(APPS, 'langchain'));
    const byName = (name: string): ShownSpan[] => spans.filter((s) => s.name === name);
    const [sequence] = byName('workflow RunnableSequence');
    const [prompt] = byName('workflow prompt');
    assert.ok(sequence && prompt, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(sequence.parentSpanId, null);
    assert.equal(prompt.parentSpanId, sequence.spanId);
    const chats = byName('chat gpt-4o-mini');
    // LangChain's model run, under the chain, and the openai SDK's own call (its own trace:
    // LangChain does not run the SDK inside its run's span).
    assert.equal(chats.length, 2);
    const modelRun = chats.find((s) => s.parentSpanId === sequence.spanId);
    assert.ok(modelRun, 'the model run is a child of the chain');
    assert.equal(modelRun.llm?.output[0]?.content, FAKE.answer);
    assert.deepEqual(modelRun.llm?.input.map((m) => m.content), ['Capital of France?']);
    assert.equal(modelRun.llm?.system, 'Answer in one sentence.');
    const line = markerLine(file, 'chain');
    for (const s of spans) assertCallSite(s, file, line);
  });

  it('traces LangChain imported as ES modules, on the invoke line', async () => {
    const ran = await runApp('langchain', ['node', 'app.mjs'], 'langchain-esm');
    assert.equal(ran.code, 0, ran.stderr);
    const file = path.join(APPS, 'langchain/app.mjs');
    const spans = spansOf(ran, path.join(APPS, 'langchain'));
    // LangChain's model run (patched in the ES module copy of @langchain/core) and the SDK's call.
    assert.deepEqual(spans.map((s) => `${s.kind} ${s.name}`), ['llm chat gpt-4o-mini', 'llm chat gpt-4o-mini'], `spans: ${spans.map((s) => s.name).join(', ')}`);
    for (const s of spans) assertCallSite(s, file, markerLine(file, 'invoke'));
  });

  it('traces the current Anthropic and Gemini SDKs (@anthropic-ai/sdk 1.x, @google/genai) on their call lines', async () => {
    const providers = await startFakeProviders();
    try {
      const ran = await runApp('providers', ['node', 'app.cjs'], 'providers', undefined, { FAKE_PROVIDERS_URL: providers.url });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout.trim(), `${FAKE_PROVIDERS.anthropic.text} | ${FAKE_PROVIDERS.gemini.text}`);
      const file = path.join(APPS, 'providers/app.cjs');
      const calls = llmSpans(spansOf(ran, path.join(APPS, 'providers')));
      const claude = calls.find((s) => s.llm?.provider === 'anthropic');
      const gemini = calls.find((s) => s.llm?.requestModel === 'gemini-2.5-flash');
      assert.ok(claude && gemini, `LLM spans: ${calls.map((s) => `${s.name} (${s.llm?.provider})`).join(', ')}`);
      assertCallSite(claude, file, markerLine(file, 'anthropic'));
      assertCallSite(gemini, file, markerLine(file, 'gemini'));
      assert.equal(claude.llm?.output[0]?.content, FAKE_PROVIDERS.anthropic.text);
      assert.deepEqual([claude.llm?.usage.inputTokens, claude.llm?.usage.outputTokens], [FAKE_PROVIDERS.anthropic.inputTokens, FAKE_PROVIDERS.anthropic.outputTokens]);
      assert.equal(gemini.llm?.output[0]?.content, FAKE_PROVIDERS.gemini.text);
      assert.equal(gemini.llm?.usage.inputTokens, FAKE_PROVIDERS.gemini.promptTokens);
    } finally {
      await providers.close();
    }
  });

  it('adds to a program\'s own tracer provider: every span exported once, with call sites', async () => {
    const ran = await runApp('own-provider', ['node', 'app.cjs'], 'own');
    assert.equal(ran.code, 0, ran.stderr);
    const file = path.join(APPS, 'own-provider/app.cjs');
    const spans = spansOf(ran, path.join(APPS, 'own-provider'));
    assert.deepEqual(spans.map((s) => s.name).sort(), ['chat gpt-4o-mini', 'handle-request']);
    assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length);
    const llm = spans.find((s) => s.kind === 'llm')!;
    const manual = spans.find((s) => s.name === 'handle-request')!;
    assertCallSite(llm, file, markerLine(file, 'plain'));
    assertCallSite(manual, file, markerLine(file, 'manual'));
    // One trace: the LLM span is the program's span's child.
    assert.equal(JSON.parse(cli(['show', '--json', '--db', ran.db])).length, 1);
  });

  it('flushes the spans of a program that throws, and exits with its exit code', async () => {
    const ran = await runApp('throws', ['node', 'app.cjs'], 'throws');
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /the program failed after its call/);
    const file = path.join(APPS, 'throws/app.cjs');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'throws')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
    assert.match(ran.stderr, /exit code\s+1/);
  });

  it('still exports the last spans of a program that calls process.exit() right after its call', async () => {
    const ran = await runApp('exits', ['node', 'app.cjs'], 'exits');
    assert.equal(ran.code, 3);
    const file = path.join(APPS, 'exits/app.cjs');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'exits')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
  });

  it('flushes on SIGINT and exits with 128+2', async () => {
    let sent = false;
    const ran = await runApp('waits', ['node', 'app.cjs'], 'sigint', (out, kill) => {
      if (!sent && out.includes('called')) {
        sent = true;
        kill('SIGINT');
      }
    });
    assert.equal(ran.code, 130, ran.stderr);
    const file = path.join(APPS, 'waits/app.cjs');
    const spans = llmSpans(spansOf(ran, path.join(APPS, 'waits')));
    assert.equal(spans.length, 1);
    assertCallSite(spans[0]!, file, markerLine(file, 'plain'));
  });

  it('passes a signal death through as 128+n', async () => {
    const ran = await runApp('cjs', ['node', '-e', 'setTimeout(() => {}, 10000); process.kill(process.pid, "SIGTERM")'], 'signal');
    assert.equal(ran.code, 128 + 15);
  });
});
