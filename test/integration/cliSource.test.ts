/** `spanlens show --workspace`: each span's source line, as the built CLI prints it. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, run } from '../helpers/cli.js';

const ROOT = path.join(__dirname, '..', '..');
const WORKSPACE = path.join(__dirname, '..', 'fixtures', 'source', 'ts');
const TRACE = path.join(__dirname, '..', 'fixtures', 'source', 'cliTrace.json');
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const temp = mkdtempSync(path.join(tmpdir(), 'spanlens-cli-source-'));
const db = path.join(temp, 'spans.db');

before(() => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const imported = run(['import', TRACE, '--db', db]);
  assert.equal(imported.code, 0, imported.stderr);
});
after(() => rmSync(temp, { recursive: true, force: true }));

interface Shown {
  spanId: string;
  name: string;
  source: { path: string; line: number; column: number | null; function: string | null; method: string; confidence: number; inherited: boolean } | null;
}

describe('spanlens show --workspace', () => {
  it('adds each span its source: exact, heuristic, inherited or none', () => {
    const res = run(['show', TRACE_ID, '--db', db, '--json', '--workspace', WORKSPACE]);
    assert.equal(res.code, 0, res.stderr);
    const spans = (JSON.parse(res.stdout) as { spans: Shown[] }).spans;
    const sources = Object.fromEntries(spans.map((s) => [s.spanId.slice(-1), s.source]));
    assert.deepEqual(sources, {
      '1': { path: 'src/agent.ts', line: 7, column: 32, function: 'answer_question', method: 'symbol', confidence: 0.85, inherited: false },
      '2': { path: 'src/agent.ts', line: 8, column: 45, function: null, method: 'text', confidence: 0.76, inherited: false },
      '3': { path: 'src/agent.ts', line: 8, column: 45, function: null, method: 'text', confidence: 0.68, inherited: true },
      '4': { path: 'src/tools/weather.ts', line: 6, column: 3, function: 'getWeather', method: 'attribute', confidence: 1, inherited: false },
      '5': { path: 'src/llm.ts', line: 3, column: 10, function: 'chat', method: 'stack', confidence: 1, inherited: false },
      '6': null,
    });
    // The rest of each span is as before.
    assert.deepEqual(Object.keys(spans[0]!), ['spanId', 'parentSpanId', 'name', 'service', 'startTimeUnixNano', 'durationMs', 'status', 'kind', 'attributes', 'source']);
  });

  it('maps against the current directory by default, and refuses a workspace that is not a folder', () => {
    const here = spawnSync(process.execPath, [CLI, 'show', TRACE_ID, '--db', db, '--json'], { cwd: WORKSPACE, encoding: 'utf8', timeout: 30000 });
    assert.equal(here.status, 0, here.stderr);
    const spans = (JSON.parse(here.stdout) as { spans: Shown[] }).spans;
    assert.equal(spans.find((s) => s.spanId.endsWith('4'))?.source?.path, 'src/tools/weather.ts');
    const bad = run(['show', TRACE_ID, '--db', db, '--json', '--workspace', path.join(temp, 'missing')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--workspace must be a folder/);
  });
});
