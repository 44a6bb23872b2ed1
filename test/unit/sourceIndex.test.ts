/** The workspace index (walk, update, slices) and its pieces: path suffixes, literal and definition scanning. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { scanDefinitions } from '../../src/core/source/definitions.js';
import { locationFromStack } from '../../src/core/source/fromStack.js';
import { scanJs, scanPython } from '../../src/core/source/literals.js';
import { PathMap } from '../../src/core/source/pathMap.js';
import { WorkspaceIndex } from '../../src/core/source/workspaceIndex.js';
import { parseFrame } from '../../src/core/views/traceView.js';

const temp = mkdtempSync(path.join(tmpdir(), 'spanlens-source-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(temp, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('source: path suffixes', () => {
  const map = new PathMap('/ws');
  for (const rel of ['src/agent.ts', 'test/agent.ts', 'packages/a/src/util.ts', 'packages/b/src/util.ts', 'app/__init__.py']) map.add(rel);

  it('finds a file as written, relative or absolute', () => {
    assert.deepEqual(map.find('./src/agent.ts'), { file: '/ws/src/agent.ts', confidence: 1 });
    assert.deepEqual(map.find('/ws/src/agent.ts'), { file: '/ws/src/agent.ts', confidence: 1 });
    assert.deepEqual(map.find('file:///ws/src/agent.ts'), { file: '/ws/src/agent.ts', confidence: 1 });
  });

  it('maps foreign and Windows paths by the longest suffix', () => {
    assert.deepEqual(map.find('/home/ci/build/app/src/agent.ts'), { file: '/ws/src/agent.ts', confidence: 1 });
    assert.deepEqual(map.find('C:\\build\\app\\test\\agent.ts'), { file: '/ws/test/agent.ts', confidence: 1 });
    assert.deepEqual(map.find('/x/packages/b/src/util.ts'), { file: '/ws/packages/b/src/util.ts', confidence: 1 });
  });

  it('lowers confidence for ties and generic basenames, and finds nothing for unknown names', () => {
    assert.equal(map.find('/x/src/util.ts')!.confidence, 0.5);
    assert.equal(map.find('/x/src/util.ts')!.file, '/ws/packages/a/src/util.ts');
    assert.equal(map.find('/usr/lib/python3/json/__init__.py')!.confidence, 0.7);
    assert.equal(map.find('/x/other.ts'), null);
    assert.equal(map.find(''), null);
  });

  it('skips Windows and Python library frames in a stack', () => {
    const stack = '    at x (C:\\app\\node_modules\\lib\\index.js:1:2)\n    at y (C:\\build\\src\\agent.ts:5:6)';
    assert.equal(locationFromStack(stack, map)?.path, '/ws/src/agent.ts');
  });

  it('traceView still parses frames the same way (the parser moved here)', () => {
    assert.deepEqual(parseFrame('    at answer (/app/src/agent.ts:42:7)'), { text: '    at answer (/app/src/agent.ts:42:7)', path: '/app/src/agent.ts', line: 42, column: 7 });
    assert.deepEqual(parseFrame('    at file:///app/main.mjs:3:1'), { text: '    at file:///app/main.mjs:3:1', path: '/app/main.mjs', line: 3, column: 1 });
    assert.deepEqual(parseFrame('  File "/app/agent.py", line 12, in answer'), { text: '  File "/app/agent.py", line 12, in answer', path: '/app/agent.py', line: 12, column: null });
    assert.deepEqual(parseFrame('Error: boom'), { text: 'Error: boom', path: null, line: null, column: null });
  });
});

describe('source: literal scanning', () => {
  it('splits JavaScript templates at placeholders and skips comments and regexes', () => {
    const lits = scanJs([
      "// 'a quote in a comment that is long enough to count'",
      'const re = /["]/; const n = a / b / c;',
      'const t = `Summarise ${topic.replace(/x/g, `}`)} in exactly two short sentences`;',
      "const s = 'Hello {name}, here are your {{ count }} new messages today';",
    ].join('\n'));
    assert.deepEqual(lits.map((l) => l.parts), [['Summarise', 'in exactly two short sentences'], ['Hello', ', here are your', 'new messages today']]);
  });

  it('reads Python prefixes, escapes, f-string fields and format placeholders', () => {
    const lits = scanPython([
      'x = rf"Raw {value} string with a \\n kept as written"',
      "y = 'Tab\\tseparated words that are long enough %(n)s ok'",
      'z = f"{{literal braces}} around a {field!r:>10} inside"',
      'w = b"bytes are not prompts but are read the same way"',
    ].join('\n'));
    assert.deepEqual(lits.map((l) => l.parts), [
      ['Raw', 'string with a \\n kept as written'],
      ['Tab separated words that are long enough', 'ok'],
      ['{literal braces} around a', 'inside'],
      ['bytes are not prompts but are read the same way'],
    ]);
  });

  it('finds definitions in both languages, with decorator names on the function line', () => {
    const js = scanDefinitions('export default async function main() {}\nconst run = async (x) => x;\nclass A {\n  static async go(a: number): Promise<void> {\n  if (a) {\n}', false);
    assert.deepEqual(js.map((d) => [d.name, d.kind, d.line]), [['main', 'function', 1], ['run', 'function', 2], ['A', 'class', 3], ['go', 'method', 4]]);
    const py = scanDefinitions('@observe(name="fetch docs")\n@other\nasync def fetch_docs():\n    pass\nclass Store:\n    def get(self): ...', true);
    assert.deepEqual(py.map((d) => [d.name, d.kind, d.line]), [['fetch docs', 'entity', 3], ['fetch_docs', 'function', 3], ['Store', 'class', 5], ['get', 'function', 6]]);
  });
});

describe('source: workspace index', () => {
  it('walks source files, skipping dependency, build and hidden folders and large files', async () => {
    write('ws1/src/a.ts', 'export function alpha() {}\n');
    write('ws1/lib/b.py', 'def beta():\n    pass\n');
    write('ws1/node_modules/x/index.js', 'function gamma() {}\n');
    write('ws1/.venv/lib/c.py', 'def delta(): pass\n');
    write('ws1/build/d.js', 'function epsilon() {}\n');
    write('ws1/notes.md', 'function zeta() {}\n');
    write('ws1/big.js', `function huge() {}\n${'// padding\n'.repeat(110_000)}`);
    const index = await WorkspaceIndex.build(path.join(temp, 'ws1'));
    assert.equal(index.fileCount, 3);
    assert.equal(index.definitions('alpha').length, 1);
    assert.equal(index.definitions('beta').length, 1);
    for (const name of ['gamma', 'delta', 'epsilon', 'zeta', 'huge']) assert.equal(index.definitions(name).length, 0, name);
    // The large file is still a known path, for locations the span names exactly.
    assert.equal(index.paths.find('/other/big.js')?.file, path.join(temp, 'ws1/big.js'));
  });

  it('update re-reads a changed file, adds a new one and forgets a deleted one', async () => {
    const a = write('ws2/a.ts', 'export function before() {}\n');
    const index = await WorkspaceIndex.build(path.join(temp, 'ws2'));
    write('ws2/a.ts', 'export function after() {}\nconst p = "A long enough prompt literal for the index to keep";\n');
    index.update(a);
    assert.equal(index.definitions('before').length, 0);
    assert.equal(index.definitions('after')[0]?.line, 1);
    assert.equal(index.matchText('A long enough prompt literal for the index to keep')?.literal.line, 2);
    const b = write('ws2/sub/b.py', 'def added():\n    pass\n');
    index.update('sub/b.py');
    assert.equal(index.definitions('added').length, 1);
    assert.equal(index.fileCount, 2);
    rmSync(b);
    index.update(b);
    assert.equal(index.definitions('added').length, 0);
    assert.equal(index.fileCount, 1);
    index.update('/somewhere/else.ts');
    assert.equal(index.fileCount, 1);
  });

  it('yields to the event loop while building', async () => {
    for (let i = 0; i < 300; i++) write(`ws3/f${i}.ts`, `export function f${i}() {}\n`.repeat(50));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const index = await WorkspaceIndex.build(path.join(temp, 'ws3'), { yieldEveryMs: 0 });
    clearInterval(timer);
    assert.equal(index.fileCount, 300);
    assert.ok(ticks > 10, `only ${ticks} timer ticks ran while building`);
  });
});
