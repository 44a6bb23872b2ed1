/** Call sites: grouping by line, the latest run's count, matching the previous run, lines following edits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSites, callKey, type LineChange, type LocatedCall, moveLine, previousCall, siteAt, siteOf } from '../../src/core/source/callSites.js';

const BASE = 1_700_000_000_000_000_000n;

function call(spanId: string, runId: string, t: number, line: number, path = '/w/app.ts'): LocatedCall {
  return {
    traceId: `trace-${spanId}`, spanId, runId, startTimeUnixNano: String(BASE + BigInt(t) * 1_000_000n),
    location: { path, line, column: null, function: null, method: 'attribute', confidence: 1, inherited: false },
    summary: `model · ${spanId}`, name: 'chat', error: false,
  };
}

function change(startLine: number, startChar: number, endLine: number, endChar: number, insertedLines: number): LineChange {
  return { start: { line: startLine, character: startChar }, end: { line: endLine, character: endChar }, insertedLines };
}

describe('buildSites', () => {
  it('groups calls by file and line, latest call first, sites ordered by line', () => {
    const index = buildSites([call('a', 'r1', 1, 20), call('b', 'r1', 2, 10), call('c', 'r1', 3, 20), call('d', 'r1', 4, 5, '/w/other.ts')]);
    assert.deepEqual([...index.keys()].sort(), ['/w/app.ts', '/w/other.ts']);
    const sites = index.get('/w/app.ts')!;
    assert.deepEqual(sites.map((s) => s.line), [10, 20]);
    assert.equal(sites[1]!.latest.spanId, 'c');
    assert.deepEqual(sites[1]!.calls.map((c) => c.spanId), ['c', 'a']);
    assert.equal(siteAt(index, '/w/app.ts', 20), sites[1]);
    assert.equal(siteAt(index, '/w/app.ts', 21), undefined);
    assert.equal(siteOf(index, { traceId: 'trace-b', spanId: 'b' })?.line, 10);
  });

  it('counts the latest run only and matches the previous run call by position', () => {
    const calls = [
      call('p1', 'r1', 1, 7), call('p2', 'r1', 2, 7), call('p3', 'r1', 3, 7),
      call('l1', 'r2', 10, 7), call('l2', 'r2', 11, 7),
    ];
    const site = siteAt(buildSites(calls), '/w/app.ts', 7)!;
    assert.equal(site.latest.spanId, 'l2');
    assert.deepEqual(site.latestRun.map((c) => c.spanId), ['l1', 'l2']);
    assert.equal(site.previous?.spanId, 'p2', 'the 2nd call of the latest run ↔ the 2nd of the previous');
    assert.equal(previousCall(site.calls, { traceId: 'trace-l1', spanId: 'l1' })?.spanId, 'p1');
    assert.equal(previousCall(site.calls, { traceId: 'trace-p3', spanId: 'p3' }), null, 'no run before the first');
  });

  it('has no previous call when the previous run made fewer calls there', () => {
    const site = siteAt(buildSites([call('p1', 'r1', 1, 3), call('l1', 'r2', 5, 3), call('l2', 'r2', 6, 3)]), '/w/app.ts', 3)!;
    assert.equal(site.previous, null);
    assert.equal(previousCall(site.calls, site.latestRun[0]!)?.spanId, 'p1');
  });

  it('orders runs by their latest call, not by id', () => {
    const site = siteAt(buildSites([call('x', 'zzz', 1, 3), call('y', 'aaa', 2, 3)]), '/w/app.ts', 3)!;
    assert.equal(site.latest.spanId, 'y');
    assert.equal(site.previous?.spanId, 'x');
  });

  it('places calls where lineOf says and hides those it maps to null', () => {
    const a = call('a', 'r1', 1, 10);
    const b = call('b', 'r2', 2, 12);
    const c = call('c', 'r2', 3, 30);
    const moved = new Map([[callKey(a), 12], [callKey(c), null]]);
    const index = buildSites([a, b, c], (x) => (moved.has(callKey(x)) ? moved.get(callKey(x))! : x.location.line));
    const sites = index.get('/w/app.ts')!;
    assert.deepEqual(sites.map((s) => s.line), [12]);
    assert.equal(sites[0]!.previous?.spanId, 'a', 'an old call moved by edits meets the new run at the same line');
  });
});

describe('moveLine', () => {
  it('leaves lines above an edit alone and shifts lines below it', () => {
    assert.equal(moveLine(5, change(8, 0, 8, 0, 3)), 5);
    assert.equal(moveLine(10, change(8, 0, 8, 0, 3)), 13);
    assert.equal(moveLine(10, change(2, 0, 4, 0, 0)), 8, 'two lines deleted above');
  });

  it('moves a line down when lines are inserted at its start, keeps it for edits within it', () => {
    assert.equal(moveLine(10, change(10, 0, 10, 0, 2)), 12);
    assert.equal(moveLine(10, change(10, 4, 10, 4, 0)), 10, 'typing');
    assert.equal(moveLine(10, change(10, 4, 10, 9, 0)), 10, 'replacing a word');
    assert.equal(moveLine(10, change(10, 20, 10, 20, 1)), 10, 'breaking the line after its start');
  });

  it('returns null when the line is deleted or replaced', () => {
    assert.equal(moveLine(10, change(9, 0, 11, 0, 0)), null, 'deleted with the lines around it');
    assert.equal(moveLine(10, change(10, 0, 11, 0, 0)), null, 'deleted as a whole line');
    assert.equal(moveLine(10, change(9, 3, 10, 5, 0)), null, 'joined into the line above');
  });

  it('keeps a line that a multi-line range only touches at its edges', () => {
    assert.equal(moveLine(10, change(8, 0, 10, 0, 1)), 9, 'lines above it replaced, range ends at its column 0');
    assert.equal(moveLine(10, change(10, 12, 12, 3, 0)), 10, 'its tail joined with the lines below');
  });
});
