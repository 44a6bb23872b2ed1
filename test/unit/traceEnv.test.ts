import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runSummaryText } from '../../src/core/run/runSummary';
import type { TraceSummary } from '../../src/core/store/spanTables';
import { mergeResourceAttributes, newRunId, preloadOptions, tracedEnvironment, withPreload } from '../../src/core/run/traceEnv';
import { tracesHeaders } from '../../src/runtime/node/exportProcessor';

const dir = path.resolve('/opt/spanlens ext/dist/runtime/node');
const base = { endpoint: 'http://127.0.0.1:43181/', runId: 'run-1', serviceName: 'my-app', preloadDir: dir };

describe('tracedEnvironment', () => {
  it('points the exporters at the receiver with http/protobuf and a short batch delay', () => {
    const env = tracedEnvironment(base);
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:43181');
    assert.equal(env.OTEL_EXPORTER_OTLP_PROTOCOL, 'http/protobuf');
    assert.equal(env.OTEL_BSP_SCHEDULE_DELAY, '200');
    assert.equal(env.OTEL_SERVICE_NAME, 'my-app');
    assert.equal(env.OTEL_RESOURCE_ATTRIBUTES, 'spanlens.run.id=run-1');
    assert.equal(env.SPANLENS_RUN_ID, 'run-1');
  });

  it('switches content capture on for the known instrumentations', () => {
    const env = tracedEnvironment(base);
    assert.equal(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, 'true');
    assert.equal(env.TRACELOOP_TRACE_CONTENT, 'true');
    assert.equal(env.OPENINFERENCE_HIDE_INPUTS, 'false');
  });

  it('keeps the rest of the base environment, the user service name and resource attributes', () => {
    const env = tracedEnvironment({
      ...base,
      base: { PATH: '/bin', OTEL_SERVICE_NAME: 'theirs', OTEL_RESOURCE_ATTRIBUTES: 'team=ml, spanlens.run.id=old', UNSET: undefined },
    });
    assert.equal(env.PATH, '/bin');
    assert.equal(env.OTEL_SERVICE_NAME, 'theirs');
    assert.equal(env.OTEL_RESOURCE_ATTRIBUTES, 'team=ml,spanlens.run.id=run-1');
    assert.ok(!('UNSET' in env));
  });

  it('drops per-signal endpoints that would send the spans elsewhere', () => {
    const env = tracedEnvironment({ ...base, base: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://vendor.example/v1/traces' } });
    assert.ok(!('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' in env));
  });

  it('appends the CommonJS and ES module preloads to the user NODE_OPTIONS, quoted', () => {
    const env = tracedEnvironment({ ...base, base: { NODE_OPTIONS: '--max-old-space-size=4096' } });
    const cjs = path.join(dir, 'preload.cjs');
    const esm = pathToFileURL(path.join(dir, 'register.mjs')).href;
    assert.equal(env.NODE_OPTIONS, `--max-old-space-size=4096 --require "${cjs.replace(/\\/g, '\\\\')}" --import "${esm}"`);
  });

  it('does not add the preload twice (a traced program starting another)', () => {
    const once = withPreload(undefined, dir);
    assert.equal(once, preloadOptions(dir));
    assert.equal(withPreload(once, dir), once);
  });
});

describe('tracedEnvironment with a receiver token', () => {
  it('sends no Authorization when the receiver has no token', () => {
    assert.ok(!('OTEL_EXPORTER_OTLP_HEADERS' in tracedEnvironment(base)));
    assert.ok(!('OTEL_EXPORTER_OTLP_HEADERS' in tracedEnvironment({ ...base, token: '' })));
  });

  it('adds Authorization=Bearer%20<token>, percent-encoded, keeping the user headers', () => {
    const env = tracedEnvironment({ ...base, token: 'a b,c=d', base: { OTEL_EXPORTER_OTLP_HEADERS: 'x-team=ml, Authorization=Basic old' } });
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, 'x-team=ml,Authorization=Bearer%20a%20b%2Cc%3Dd');
  });

  it('drops an Authorization in the per-signal headers, which would replace the token', () => {
    const env = tracedEnvironment({
      ...base,
      token: 't0k',
      base: { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=Bearer%20vendor,x-a=1', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'Authorization=Bearer%20vendor' },
    });
    assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'x-a=1');
    assert.ok(!('OTEL_EXPORTER_OTLP_LOGS_HEADERS' in env));
  });

  it('reads back as the header the preload sends at exit', () => {
    const env = tracedEnvironment({ ...base, token: 's3cret=1', base: { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=1' } });
    assert.deepEqual(tracesHeaders(env), { authorization: 'Bearer s3cret=1', 'x-a': '1' });
  });
});

describe('mergeResourceAttributes', () => {
  it('encodes the run id', () => {
    assert.equal(mergeResourceAttributes(undefined, 'a b'), 'spanlens.run.id=a%20b');
  });
});

describe('newRunId', () => {
  it('is time-ordered and unique', () => {
    const a = newRunId(new Date('2026-01-02T03:04:05.678Z'));
    assert.match(a, /^run-20260102T030405Z-[0-9a-f]{6}$/);
    assert.notEqual(newRunId(), newRunId());
  });
});

describe('runSummaryText', () => {
  const trace = (over: Partial<TraceSummary>): TraceSummary => ({
    traceId: 't',
    name: 'chat',
    service: 'app',
    spanCount: 1,
    errorCount: 0,
    startTimeUnixNano: '0',
    durationMs: 10,
    llmCalls: 1,
    inputTokens: 21,
    outputTokens: 9,
    costUsd: 0.00000855,
    runId: 'run-1',
    pinned: false,
    ...over,
  });

  it('adds up the run and names the slowest call relative to the workspace', () => {
    const text = runSummaryText({
      runId: 'run-1',
      traces: [trace({}), trace({ spanCount: 3, errorCount: 1, costUsd: 0.0012 })],
      slowest: { name: 'chat gpt-4o-mini', durationMs: 1234, traceId: 't', location: { path: path.resolve('/ws/src/app.ts'), line: 12 } },
      workspace: path.resolve('/ws'),
      exitCode: 1,
    });
    assert.match(text, /spans\s+4\n/);
    assert.match(text, /LLM calls\s+2\n/);
    assert.match(text, /tokens\s+60 \(42 in, 18 out\)/);
    assert.match(text, /cost\s+\$0\.0012\n/);
    assert.match(text, /errors\s+1\n/);
    assert.match(text, /exit code\s+1\n/);
    assert.match(text, /slowest call\s+chat gpt-4o-mini 1\.23 s at src\/app\.ts:12/);
  });

  it('says so when a model has no price, and when no span arrived', () => {
    assert.match(runSummaryText({ runId: 'r', traces: [trace({ costUsd: null })], slowest: null, workspace: '/', exitCode: 0 }), /cost\s+unknown/);
    assert.match(runSummaryText({ runId: 'r', traces: [], slowest: null, workspace: '/', exitCode: 0 }), /no spans arrived/);
  });
});
