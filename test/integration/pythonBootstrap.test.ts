/**
 * The Python bootstrap (src/runtime/python/sitecustomize.py) and the stdlib-only Python example,
 * run by the real python3: without the OpenTelemetry SDK the program runs untraced with its own
 * exit code and the terminal says what to install; a shadowed sitecustomize still runs; with an
 * SDK-shaped provider the code processor records the user's line; and the example's spans reach
 * the real receiver with the file and line of each call.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningReceiver, eventually, startReceiver } from '../helpers/receiver.js';

const ROOT = path.resolve(__dirname, '..', '..');
const BOOTSTRAP = path.join(ROOT, 'src', 'runtime', 'python');
const APP = path.join(ROOT, 'examples', 'python-openai', 'app.py');
const INSTALL = 'pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-instrumentation-openai-v2';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs python3 without blocking the event loop: the receiver in this process must answer it. */
function python(args: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'PYTHONPATH' && k !== 'OPENAI_API_KEY'));
  // No __pycache__ left in the source tree.
  clean.PYTHONDONTWRITEBYTECODE = '1';
  const child = spawn('python3', args, { env: { ...clean, ...env }, cwd, timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** 1-based line of the first line of `file` containing `marker`. */
function lineOf(file: string, marker: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  assert.ok(index >= 0, `${marker} is not in ${file}`);
  return index + 1;
}

// An "SDK" with just the shapes the bootstrap uses, installed under a site-packages folder so that
// its frames count as library frames, as the real SDK's do.
const FAKE_SDK: Record<string, string> = {
  'opentelemetry/__init__.py': '',
  'opentelemetry/trace/__init__.py': [
    '_provider = None',
    'def get_tracer_provider():',
    '    return _provider if _provider is not None else object()',
    'def set_tracer_provider(p):',
    '    global _provider',
    '    _provider = p',
  ].join('\n'),
  'opentelemetry/sdk/__init__.py': '',
  'opentelemetry/sdk/trace/__init__.py': [
    'class SpanProcessor:',
    '    pass',
    'class Span:',
    '    def __init__(self, name):',
    '        self.name, self.attributes = name, {}',
    '    def set_attribute(self, k, v):',
    '        self.attributes[k] = v',
    'class TracerProvider:',
    '    def __init__(self):',
    '        self.processors = []',
    '    def add_span_processor(self, p):',
    '        self.processors.append(p)',
    '    def start_span(self, name):',
    '        span = Span(name)',
    '        for p in self.processors:',
    '            p.on_start(span, None)',
    '        return span',
  ].join('\n'),
};

describe('Python bootstrap', () => {
  let dir = '';
  let receiver: RunningReceiver | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'spanlens-py-'));
    receiver = await startReceiver();
  });

  after(async () => {
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the SDK prints what to install and runs the program with its own exit code', async () => {
    const program = path.join(dir, 'exits.py');
    writeFileSync(program, 'import sys\nprint("the program ran")\nsys.exit(3)\n');
    const r = await python([program], { PYTHONPATH: BOOTSTRAP });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'the program ran\n');
    assert.ok(r.stderr.includes(INSTALL), r.stderr);
    assert.ok(r.stderr.includes('runs untraced'), r.stderr);
  });

  it('runs the sitecustomize it shadows', async () => {
    const other = path.join(dir, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, 'sitecustomize.py'), 'import builtins\nbuiltins.CHAINED = "yes"\nprint("chained sitecustomize ran")\n');
    const r = await python(['-c', 'import builtins; print(getattr(builtins, "CHAINED", "no"))'], { PYTHONPATH: [BOOTSTRAP, other].join(path.delimiter) });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'chained sitecustomize ran\nyes\n');
  });

  it('with an SDK, records the first frame of the user’s code on each span it starts', async () => {
    const site = path.join(dir, 'lib', 'site-packages');
    for (const [file, text] of Object.entries(FAKE_SDK)) {
      mkdirSync(path.dirname(path.join(site, file)), { recursive: true });
      writeFileSync(path.join(site, file), text);
    }
    const program = path.join(dir, 'user.py');
    writeFileSync(program, [
      'import json',
      'from opentelemetry import trace',
      'from opentelemetry.sdk.trace import TracerProvider',
      'provider = TracerProvider()',
      'trace.set_tracer_provider(provider)',
      'def ask():',
      '    return provider.start_span("chat")',
      'span = ask()',
      'print(json.dumps(span.attributes))',
    ].join('\n'));
    const r = await python([program], { PYTHONPATH: [BOOTSTRAP, site].join(path.delimiter) });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { 'code.file.path': program, 'code.line.number': 7, 'code.function.name': 'ask' });
    assert.ok(!r.stderr.includes('pip install'), r.stderr);
  });

  it('the stdlib example sends OTLP/JSON spans that arrive with the file and line of each call', async () => {
    const rx = receiver!;
    const r = await python([APP], {
      PYTHONPATH: BOOTSTRAP,
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.httpUrl,
      OTEL_SERVICE_NAME: 'python-openai-example',
      OTEL_RESOURCE_ATTRIBUTES: 'spanlens.run.id=py-example-run',
    }, path.dirname(APP));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /local stand-in/);
    assert.match(r.stdout, /sent 7 spans/);
    assert.ok(r.stderr.includes(INSTALL), 'the bootstrap says what to install');

    const traces = await eventually(() => {
      const found = rx.store.listTraces(10, 0, 'py-example-run');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(traces.length, 1);
    assert.equal(traces[0]!.spanCount, 7);
    assert.equal(traces[0]!.llmCalls, 6);
    assert.equal(traces[0]!.errorCount, 1);
    const spans = rx.store.getTrace(traces[0]!.traceId);
    const calls = spans.filter((s) => s.parentSpanId !== '');
    const expected = ['# plain call', '# streaming call', '# tool call', '# tool result', '# embedding', '# failing call'].map((m) => lineOf(APP, m));
    assert.deepEqual(calls.map((s) => s.attributes['code.line.number']), expected);
    for (const span of calls) {
      assert.equal(span.attributes['code.file.path'], APP);
      assert.equal(span.attributes['code.function.name'], 'main');
    }
    const failing = calls[calls.length - 1]!;
    assert.equal(failing.status.code, 'error');
    assert.match(failing.status.message, /404/);
    const tool = calls[2]!;
    assert.match(String(tool.attributes['gen_ai.output.messages']), /get_weather/);
  });
});
