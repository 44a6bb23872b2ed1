/** Source mapping end to end on the fixture workspaces: every method, inheritance and the cases that must not map. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Span } from '../../src/core/model.js';
import { resolveSources, unplacedNames } from '../../src/core/source/resolve.js';
import { WorkspaceIndex } from '../../src/core/source/workspaceIndex.js';
import type { SourceLocation } from '../../src/shared/source.js';
import { makeSpan } from '../helpers/fixtures.js';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'source');
const TS = path.join(FIXTURES, 'ts');
const JS = path.join(FIXTURES, 'js');
const PY = path.join(FIXTURES, 'py');

let ts: WorkspaceIndex;
let js: WorkspaceIndex;
let py: WorkspaceIndex;

before(async () => {
  [ts, js, py] = await Promise.all([WorkspaceIndex.build(TS), WorkspaceIndex.build(JS), WorkspaceIndex.build(PY)]);
});

let nextId = 1;
function span(attributes: Record<string, unknown>, overrides: Partial<Span> = {}): Span {
  return makeSpan(attributes, { spanId: (nextId++).toString(16).padStart(16, '0'), ...overrides });
}

/** A GenAI chat span whose prompt is a system and a user message. */
function llm(system: string | null, user: string, overrides: Partial<Span> = {}): Span {
  const messages = [...(system ? [{ role: 'system', parts: [{ type: 'text', content: system }] }] : []), { role: 'user', parts: [{ type: 'text', content: user }] }];
  return span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.input.messages': JSON.stringify(messages) }, { name: 'chat gpt-4o-mini', ...overrides });
}

function one(s: Span, index: WorkspaceIndex): SourceLocation | null {
  return resolveSources([s], [], index).get(s.spanId) ?? null;
}

/** `[relative path, line, method, confidence]`, the facts each test checks. */
function brief(loc: SourceLocation | null, root: string): [string, number, string, number] | null {
  return loc && [path.relative(root, loc.path), loc.line, loc.method, loc.confidence];
}

describe('source: code attributes', () => {
  it('reads the current spelling, with a path relative to the working directory', () => {
    const loc = one(span({ 'code.file.path': 'src/agent.ts', 'code.line.number': 8, 'code.column.number': 25, 'code.function.name': 'answerQuestion' }), ts);
    assert.deepEqual(loc, { path: path.join(TS, 'src/agent.ts'), line: 8, column: 25, function: 'answerQuestion', method: 'attribute', confidence: 1, inherited: false });
  });

  it('reads the older spelling, joining namespace and function', () => {
    const loc = one(span({ 'code.filepath': path.join(PY, 'app/agent.py'), 'code.lineno': '10', 'code.function': 'plan_trip', 'code.namespace': 'app.agent' }), py);
    assert.deepEqual(loc, { path: path.join(PY, 'app/agent.py'), line: 10, column: null, function: 'app.agent.plan_trip', method: 'attribute', confidence: 1, inherited: false });
  });

  it('maps a foreign absolute path (CI machine, container) by its longest suffix', () => {
    assert.deepEqual(brief(one(span({ 'code.file.path': '/home/ci/build/app/src/agent.ts', 'code.line.number': 6 }), ts), TS), ['src/agent.ts', 6, 'attribute', 1]);
    assert.deepEqual(brief(one(span({ 'code.filepath': '/usr/src/app/tools/weather.ts', 'code.lineno': 6 }), ts), TS), ['src/tools/weather.ts', 6, 'attribute', 1]);
    // A unique basename is still the right file.
    assert.deepEqual(brief(one(span({ 'code.filepath': '/srv/tools.py', 'code.lineno': 2 }), py), PY), ['app/tools.py', 2, 'attribute', 1]);
  });

  it('lowers confidence when the suffix fits several files, and picks one deterministically', () => {
    const loc = one(span({ 'code.filepath': '/elsewhere/agent.ts', 'code.lineno': 3 }), ts);
    assert.equal(loc?.path, path.join(TS, 'src/agent.ts'));
    assert.ok(loc!.confidence <= 0.5);
  });

  it('ignores attributes naming a file outside the workspace', () => {
    assert.equal(one(span({ 'code.filepath': '/opt/lib/other.go', 'code.lineno': 3 }), ts), null);
  });
});

describe('source: stack traces', () => {
  it('takes the first Node frame in the workspace, past node_modules and runtime frames', () => {
    const stack = [
      'Error',
      '    at Span.start (/app/node_modules/@opentelemetry/sdk-trace-base/build/src/Span.js:40:21)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async answerQuestion (/home/ci/build/app/src/agent.ts:8:19)',
      '    at async main (file:///home/ci/build/app/src/llm.ts:3:1)',
    ].join('\n');
    assert.deepEqual(one(span({ 'code.stacktrace': stack }), ts), {
      path: path.join(TS, 'src/agent.ts'), line: 8, column: 19, function: 'answerQuestion', method: 'stack', confidence: 1, inherited: false,
    });
  });

  it('reads an exception event of a Python traceback, innermost workspace frame, past site-packages', () => {
    const stack = [
      'Traceback (most recent call last):',
      '  File "/srv/app/main.py", line 4, in <module>',
      '    print(plan_trip("Lisbon"))',
      '  File "/srv/app/app/agent.py", line 10, in plan_trip',
      '    return ask(SYSTEM, prompt)',
      '  File "/usr/local/lib/python3.12/site-packages/openai/_base_client.py", line 1059, in request',
      '    raise self._make_status_error_from_response(err.response) from None',
      'openai.RateLimitError: Error code: 429',
    ].join('\n');
    const s = span({}, { events: [{ name: 'exception', timeUnixNano: '1', droppedAttributesCount: 0, attributes: { 'exception.type': 'RateLimitError', 'exception.stacktrace': stack } }] });
    assert.deepEqual(one(s, py), { path: path.join(PY, 'app/agent.py'), line: 10, column: null, function: 'plan_trip', method: 'stack', confidence: 1, inherited: false });
  });

  it('finds nothing in a stack of library frames only', () => {
    const stack = '    at fetch (/app/node_modules/undici/index.js:1:1)\n    at node:internal/deps/undici:2:3';
    assert.equal(one(span({ 'code.stacktrace': stack }), js), null);
  });
});

describe('source: names', () => {
  it('finds a Traceloop entity by its wrapper name and by its span name', () => {
    assert.deepEqual(brief(one(span({ 'traceloop.entity.name': 'answer_question' }, { name: 'answer_question.workflow' }), ts), TS), ['src/agent.ts', 7, 'symbol', 0.85]);
    assert.deepEqual(brief(one(span({}, { name: 'plan_trip.workflow' }), py), PY), ['app/agent.py', 8, 'symbol', 0.85]);
    assert.deepEqual(brief(one(span({}, { name: 'ask_model.task' }), py), PY), ['app/agent.py', 14, 'symbol', 0.85]);
  });

  it('finds functions, methods and tools by name, below exact confidence', () => {
    assert.deepEqual(brief(one(span({ 'gen_ai.tool.name': 'get_weather' }, { name: 'execute_tool get_weather' }), py), PY), ['app/tools.py', 2, 'symbol', 0.8]);
    assert.deepEqual(brief(one(span({ 'gen_ai.tool.name': 'getWeather' }), ts), TS), ['src/tools/weather.ts', 6, 'symbol', 0.8]);
    assert.deepEqual(brief(one(span({ 'langfuse.observation.name': 'planSteps' }), ts), TS), ['src/agent.ts', 16, 'symbol', 0.8]);
    assert.deepEqual(brief(one(span({ 'ai.telemetry.functionId': 'summarize-article' }, { name: 'ai.generateText' }), js), JS), ['app.js', 13, 'symbol', 0.85]);
    assert.deepEqual(brief(one(span({ 'code.function': 'choose', 'code.namespace': 'Planner' }), py), PY), ['app/agent.py', 27, 'symbol', 0.8]);
  });

  it('does not take a library operation name for the user function of the same name', () => {
    assert.equal(one(span({}, { name: 'chat' }), ts), null);
  });
});

describe('source: prompt text', () => {
  it('matches a template literal with a placeholder', () => {
    const loc = one(llm(null, 'Summarise the French Revolution in two sentences, for a newsletter'), ts);
    assert.deepEqual(brief(loc, TS)?.slice(0, 3), ['src/agent.ts', 8, 'text']);
    assert.ok(loc!.confidence < 1 && loc!.confidence >= 0.6, `confidence ${loc!.confidence}`);
  });

  it('matches system instructions as written', () => {
    const loc = one(llm('You are the Spanlens research assistant. Cite every source you use and answer in plain English.', 'What happened in 1789?'), ts);
    assert.deepEqual(brief(loc, TS), ['src/agent.ts', 4, 'text', 0.9]);
  });

  it('matches an f-string, a .format string and a % string', () => {
    assert.deepEqual(brief(one(llm(null, 'Plan a three day trip to Lisbon with museums and local food'), py), PY)?.slice(0, 3), ['app/agent.py', 9, 'text']);
    assert.deepEqual(brief(one(llm(null, 'Describe photosynthesis for a ten year old child, in simple words'), py), PY)?.slice(0, 3), ['app/agent.py', 19, 'text']);
    assert.deepEqual(brief(one(llm(null, 'Write a short birthday poem for Ada that rhymes'), py), PY)?.slice(0, 3), ['app/agent.py', 23, 'text']);
  });

  it('matches a Python triple-quoted string across its line breaks and indentation', () => {
    const loc = one(llm('You are a travel planner for the Spanlens tests.\nAlways answer with a numbered itinerary.', 'Lisbon'), py);
    assert.deepEqual(brief(loc, PY)?.slice(0, 3), ['app/agent.py', 3, 'text']);
  });

  it('matches a string concatenated with the input', () => {
    const loc = one(llm(null, 'Classify the sentiment of this review as positive or negative: the soup was cold and the waiter rude'), js);
    assert.deepEqual(brief(loc, JS)?.slice(0, 3), ['app.js', 19, 'text']);
  });

  it('does not map a common phrase', () => {
    assert.equal(one(llm('You are a helpful assistant.', 'Hi'), ts), null);
    assert.equal(one(llm(null, 'You are a helpful assistant.'), ts), null);
  });

  it('does not map a short literal that is a small part of a long prompt', () => {
    const long = `Summarise x in two sentences, for a newsletter. ${'Context paragraph about nothing in particular. '.repeat(20)}`;
    assert.equal(one(llm(null, long), ts), null);
  });

  it('lowers confidence to at most 0.5 when equal literals sit in two places, picking one deterministically', () => {
    const prompt = 'Translate the following text into formal German, keeping all names unchanged.';
    const a = one(llm(prompt, 'Hello Ada'), ts);
    const b = one(llm(prompt, 'Hello Ada'), ts);
    assert.deepEqual(a, b);
    assert.deepEqual(brief(a, TS)?.slice(0, 3), ['src/legacy/prompts.ts', 2, 'text']);
    assert.ok(a!.confidence <= 0.5);
  });
});

describe('source: inheritance and order', () => {
  it('a span without a location shows its nearest located ancestor, marked inherited', () => {
    const root = span({ 'code.file.path': 'src/agent.ts', 'code.line.number': 6 }, { name: 'root' });
    const middle = span({}, { name: 'POST', parentSpanId: root.spanId });
    const leaf = span({ 'http.request.method': 'POST' }, { name: 'POST /v1/chat/completions', parentSpanId: middle.spanId });
    const other = span({}, { name: 'x', parentSpanId: 'ffffffffffffffff' });
    const map = resolveSources([root, middle, leaf, other], [], ts);
    assert.equal(map.get(root.spanId)?.inherited, false);
    assert.deepEqual(map.get(leaf.spanId), { path: path.join(TS, 'src/agent.ts'), line: 6, column: null, function: null, method: 'attribute', confidence: 0.9, inherited: true });
    assert.deepEqual(map.get(middle.spanId), map.get(leaf.spanId));
    assert.equal(map.get(other.spanId), null);
  });

  it('a span with its own location keeps it, and attributes win over names and text', () => {
    const root = span({ 'traceloop.entity.name': 'answer_question' }, { name: 'answer_question.workflow' });
    const child = llm(null, 'Summarise the moon landing in two sentences, for a newsletter', { parentSpanId: root.spanId });
    const exact = span({ 'code.filepath': 'src/llm.ts', 'code.lineno': 3, 'traceloop.entity.name': 'answer_question' });
    const map = resolveSources([root, child, exact], [], ts);
    assert.equal(map.get(child.spanId)?.method, 'text');
    assert.equal(map.get(child.spanId)?.inherited, false);
    assert.deepEqual(brief(map.get(exact.spanId) ?? null, TS), ['src/llm.ts', 3, 'attribute', 1]);
  });

  it('survives a parent cycle', () => {
    const a = span({}, { name: 'a' });
    const b = span({}, { name: 'b', parentSpanId: a.spanId });
    a.parentSpanId = b.spanId;
    const map = resolveSources([a, b], [], ts);
    assert.equal(map.get(a.spanId), null);
    assert.equal(map.get(b.spanId), null);
  });
});

describe('source: library paths', () => {
  it('a code attribute naming a library file is passed over for the span own name', () => {
    const s = span({ 'code.filepath': '/srv/venv/lib/python3.12/site-packages/traceloop/sdk/decorators/base.py', 'code.lineno': 120 }, { name: 'plan_trip.workflow' });
    assert.deepEqual(brief(one(s, py), PY), ['app/agent.py', 8, 'symbol', 0.85]);
  });
});

describe('source: prompt confidence', () => {
  it('grows with the share of the prompt the literal covers, and stays below exact', () => {
    const short = one(llm(null, 'Plan a three day trip to Lisbon with museums and local food'), py)!;
    const long = one(llm(null, 'Plan a three day trip to the lovely old city of Lisbon in Portugal with museums and local food'), py)!;
    assert.equal(short.line, long.line);
    assert.ok(short.confidence > long.confidence, `${short.confidence} > ${long.confidence}`);
    assert.ok(short.confidence <= 0.9);
  });

  it('a deep chain of spans inherits without walking it again and again', () => {
    const spans: Span[] = [span({ 'code.file.path': 'src/agent.ts', 'code.line.number': 6 })];
    for (let i = 1; i < 5000; i++) spans.push(span({}, { parentSpanId: spans[i - 1]!.spanId }));
    const map = resolveSources(spans, [], ts);
    assert.equal(map.get(spans[4999]!.spanId)?.line, 6);
    assert.equal(map.get(spans[4999]!.spanId)?.inherited, true);
  });
});

describe('source: names left for the editor', () => {
  it('gives each span the resolver left unplaced its own names, or its nearest named ancestor’s; a placed span is not asked', () => {
    const workflow = span({ 'traceloop.entity.name': 'PlanTrip' }, { name: 'PlanTrip.workflow' });
    const call = llm(null, 'Plan a day in Lisbon', { parentSpanId: workflow.spanId });
    const tool = span({ 'gen_ai.tool.name': 'book_ferry' }, { name: 'execute_tool book_ferry', parentSpanId: workflow.spanId });
    const placed = span({ 'code.file.path': 'src/agent.ts', 'code.line.number': 6 }, { name: 'placed' });
    const spans = [workflow, call, tool, placed];
    const sources = resolveSources(spans, [], ts);
    const names = unplacedNames(spans, spans.filter((s) => !sources.get(s.spanId)).map((s) => s.spanId));
    assert.deepEqual(names.get(call.spanId), [{ name: 'PlanTrip', weight: 0.85, inherited: true }]);
    assert.deepEqual(names.get(workflow.spanId), [{ name: 'PlanTrip', weight: 0.85, inherited: false }]);
    assert.deepEqual(names.get(tool.spanId)?.[0], { name: 'book_ferry', weight: 0.8, inherited: false });
    assert.equal(names.has(placed.spanId), false);
  });
});
