/**
 * The instrumentation fixtures of test/fixtures as normalized spans, and the facts of their
 * conversations (test/fixtures/README.md) as expected LlmCall values.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord, Span } from '../../src/core/model.js';
import { durationMs } from '../../src/core/model.js';
import { type NormalizeOptions, normalizeSpan } from '../../src/core/normalize/normalizeSpan.js';
import { decodeLogs, decodeTraces } from '../../src/core/otlp/decode.js';
import type { LlmCall, Message, NormalizedSpan, ToolCall, Usage } from '../../src/shared/llm.js';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export interface Fixture {
  dialect: string;
  scenario: string;
  spans: Span[];
  logs: LogRecord[];
}

/** Every `<dialect>/<scenario>.otlp.json`, with its `.logs.otlp.json` when there is one. */
export function fixtureNames(): { dialect: string; scenario: string }[] {
  const names: { dialect: string; scenario: string }[] = [];
  for (const dialect of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!dialect.isDirectory() || dialect.name === 'generators') continue;
    const scenarios = readdirSync(join(FIXTURES, dialect.name))
      .filter((file) => file.endsWith('.otlp.json') && !file.endsWith('.logs.otlp.json'))
      .map((file) => file.slice(0, -'.otlp.json'.length))
      .sort();
    for (const scenario of scenarios) names.push({ dialect: dialect.name, scenario });
  }
  return names;
}

export function loadFixture(dialect: string, scenario: string): Fixture {
  const traces = decodeTraces(readFileSync(join(FIXTURES, dialect, `${scenario}.otlp.json`)), 'json');
  assert.equal(traces.rejected, 0, `${dialect}/${scenario}: rejected spans ${traces.rejectReasons.join('; ')}`);
  const logsFile = join(FIXTURES, dialect, `${scenario}.logs.otlp.json`);
  const logs = existsSync(logsFile) ? decodeLogs(readFileSync(logsFile), 'json').items : [];
  return { dialect, scenario, spans: traces.items, logs };
}

/** The log records of a span, as the store joins them: same trace and span id. */
export function logsOf(f: Fixture, span: Span): LogRecord[] {
  return f.logs.filter((l) => l.traceId === span.traceId && l.spanId === span.spanId);
}

export interface Normalized {
  span: Span;
  n: NormalizedSpan;
}

/** Each span of the fixture, in file order, normalized with its logs (with content unless told). */
export function normalizeFixture(f: Fixture, options: NormalizeOptions = { withContent: true }): Normalized[] {
  return f.spans.map((span) => ({ span, n: normalizeSpan(span, logsOf(f, span), options) }));
}

/** `[name, kind]` of every span, in file order. */
export function kinds(list: Normalized[]): [string, string][] {
  return list.map(({ span, n }) => [span.name, n.kind]);
}

/** The LLM/embedding calls of a fixture, in file order. */
export function calls(list: Normalized[]): { span: Span; llm: LlmCall }[] {
  return list.filter((x) => x.n.llm !== null).map(({ span, n }) => ({ span, llm: n.llm! }));
}

// --- The conversations ---------------------------------------------------------------------

export const SYSTEM = 'You are a concise assistant.';
export const Q_CAPITAL = 'What is the capital of France?';
export const A_CAPITAL = 'Paris is the capital of France.';
export const Q_WEATHER = 'What is the weather in Paris?';
export const A_WEATHER = 'It is sunny and 18°C in Paris.';
export const WEATHER_RESULT = '{"temperature_c":18,"condition":"sunny"}';
export const WEATHER_CALL: ToolCall = { id: 'call_fake_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
export const ERROR_MESSAGE = 'Rate limit reached for fail-model in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1.';
/** What Python's openai client prints for the 429 (`str(error)`). */
export const PY_ERROR = `Error code: 429 - {'error': {'message': '${ERROR_MESSAGE}', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}`;

export function user(content: string): Message {
  return { role: 'user', content, toolCalls: [], toolCallId: null };
}
export function assistant(content: string, toolCalls: ToolCall[] = []): Message {
  return { role: 'assistant', content, toolCalls, toolCallId: null };
}
export function toolResult(content: string, toolCallId: string): Message {
  return { role: 'tool', content, toolCalls: [], toolCallId };
}
export function embedded(content: string): Message {
  return { role: 'input', content, toolCalls: [], toolCallId: null };
}

export const CHAT_IN = [user(Q_CAPITAL)];
export const CHAT_OUT = [assistant(A_CAPITAL)];
export const TOOLS1_IN = [user(Q_WEATHER)];
export const TOOLS1_OUT = [assistant('', [WEATHER_CALL])];
export const TOOLS2_IN = [user(Q_WEATHER), assistant('', [WEATHER_CALL]), toolResult(WEATHER_RESULT, 'call_fake_weather_1')];
export const TOOLS2_OUT = [assistant(A_WEATHER)];

export function usage(inputTokens: number | null, outputTokens: number | null, totalTokens: number | null, extra: Partial<Usage> = {}): Usage {
  return { inputTokens, outputTokens, totalTokens, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null, ...extra };
}
export const NO_USAGE = usage(null, null, null);

/**
 * gpt-4o-mini at 0.15 (input), 0.075 (cached input), 0.60 (output) USD per million tokens,
 * rounded to a billionth of a dollar: the formula the brief gives, apart from prices.ts.
 */
export function gpt4oMiniUsd(input: number, cacheRead: number, output: number): number {
  return Math.round(((input - cacheRead) * 0.15 + cacheRead * 0.075 + output * 0.6) * 1e3) / 1e9;
}
/** text-embedding-3-small at 0.02 USD per million input tokens. */
export function embeddingUsd(input: number): number {
  return Math.round(input * 0.02 * 1e3) / 1e9;
}

/** An expected call: every field of LlmCall, `contentMissing` as a pattern (hint wording may evolve). */
export type ExpectedCall = Omit<LlmCall, 'contentMissing'> & { contentMissing: RegExp | null };

/**
 * Hand-made fixtures have fixed times: the whole call must be equal. Captured ones change on
 * regeneration: latency must be the span's duration, and a stream's time to first token at
 * least `expected.ttftMs` (the fake server's first chunk comes ≥ 60 ms after the request) and
 * below the latency.
 */
export function assertCall(span: Span, actual: LlmCall, expected: ExpectedCall, timing: 'exact' | 'captured', label = span.name): void {
  const { contentMissing: hint, ...rest } = expected;
  if (hint === null) assert.equal(actual.contentMissing, null, `${label}: contentMissing`);
  else assert.match(actual.contentMissing ?? '', hint, `${label}: contentMissing`);
  if (timing === 'exact') {
    assert.deepEqual({ ...actual, contentMissing: null }, { ...rest, contentMissing: null }, label);
    return;
  }
  assert.equal(actual.latencyMs, durationMs(span.startTimeUnixNano, span.endTimeUnixNano), `${label}: latency is the span's duration`);
  assert.ok(actual.latencyMs > 0, `${label}: latency > 0`);
  if (expected.ttftMs === null) assert.equal(actual.ttftMs, null, `${label}: no ttft`);
  else {
    assert.ok(actual.ttftMs !== null && actual.ttftMs >= expected.ttftMs, `${label}: ttft ${actual.ttftMs} >= ${expected.ttftMs}`);
    assert.ok(actual.ttftMs < actual.latencyMs, `${label}: ttft ${actual.ttftMs} < latency ${actual.latencyMs}`);
  }
  assert.deepEqual({ ...actual, contentMissing: null, latencyMs: 0, ttftMs: 0 }, { ...rest, contentMissing: null, latencyMs: 0, ttftMs: 0 }, label);
}

/** A span built by hand (1 ms long), for the cases no fixture has. */
export function makeSpan(attributes: Record<string, unknown>, overrides: Partial<Span> = {}): Span {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'span',
    kind: 1,
    startTimeUnixNano: '1767225600000000000',
    endTimeUnixNano: '1767225600001000000',
    attributes: attributes as Span['attributes'],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 'unset', message: '' },
    resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: 'test', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...overrides,
  };
}
