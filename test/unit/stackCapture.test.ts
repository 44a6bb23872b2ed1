import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeAttributes, currentFrames, isUserFile, mapFrame, pickUserFrame, recordCallSite, type RawFrame } from '../../src/runtime/node/stackCapture';

const PRELOAD = '/ext/dist/runtime/node/preload.cjs';
const skip = new Set([PRELOAD]);
const frame = (file: string, line = 1, functionName: string | null = null): RawFrame => ({ file, line, column: 5, functionName });

describe('isUserFile', () => {
  it('rejects Node internals, eval code, dependencies and the preload', () => {
    for (const f of ['node:internal/process/task_queues', 'internal/modules/cjs/loader.js', '<anonymous>', 'evalmachine.<anonymous>', '[eval]', '']) {
      assert.equal(isUserFile(f, skip), false, f);
    }
    assert.equal(isUserFile('/app/node_modules/openai/resources/chat.js', skip), false);
    assert.equal(isUserFile('file:///app/node_modules/openai/index.mjs', skip), false);
    assert.equal(isUserFile('C:\\app\\node_modules\\openai\\index.js', skip), false);
    assert.equal(isUserFile(PRELOAD, skip), false);
  });

  it('accepts the program files, as paths and file URLs', () => {
    assert.equal(isUserFile('/app/src/main.ts', skip), true);
    assert.equal(isUserFile('file:///app/src/main.mjs', skip), true);
    assert.equal(isUserFile('C:\\app\\main.js', skip), true);
  });
});

describe('pickUserFrame', () => {
  it('takes the innermost frame in user code', () => {
    const frames = [
      frame(PRELOAD, 1),
      frame('/app/node_modules/@opentelemetry/sdk-trace-base/build/src/Tracer.js', 80),
      frame('/app/node_modules/openai/core.js', 300),
      frame('/app/src/agent.ts', 42, 'plan'),
      frame('/app/src/main.ts', 7, 'main'),
      frame('node:internal/process/task_queues', 95),
    ];
    assert.deepEqual(pickUserFrame(frames, skip), frame('/app/src/agent.ts', 42, 'plan'));
  });

  it('is null when no frame is the user\'s (a span started from a timer in a dependency)', () => {
    assert.equal(pickUserFrame([frame('node:internal/timers', 1), frame('/app/node_modules/x/index.js')], skip), null);
  });
});

describe('codeAttributes', () => {
  it('uses the current semantic-convention names and leaves out an unknown function', () => {
    assert.deepEqual(codeAttributes({ path: '/app/a.ts', line: 3, column: 9, functionName: null }), {
      'code.file.path': '/app/a.ts',
      'code.line.number': 3,
      'code.column.number': 9,
    });
    assert.equal(codeAttributes({ path: '/a', line: 1, column: 1, functionName: 'f' })['code.function.name'], 'f');
  });
});

describe('capture on a live stack', () => {
  it('finds this test file and line', () => {
    const line = Number(new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1]) + 1;
    const frames = currentFrames();
    const mine = pickUserFrame(frames, new Set());
    assert.ok(mine);
    const loc = mapFrame(mine);
    assert.equal(loc.path, __filename);
    assert.equal(loc.line, line);
  });

  it('leaves a span that already names its code location alone', () => {
    let set: Record<string, unknown> | null = null;
    const span = { attributes: { 'code.file.path': '/x.ts' }, setAttributes: (a: Record<string, unknown>) => (set = a) };
    recordCallSite(span, new Set());
    assert.equal(set, null);
    const fresh = { attributes: {}, setAttributes: (a: Record<string, unknown>) => (set = a) };
    // Unbundled here: the capture module's own frames are skipped as the preload's are.
    recordCallSite(fresh, new Set([require.resolve('../../src/runtime/node/stackCapture')]));
    assert.equal(set!['code.file.path'], __filename);
  });
});
