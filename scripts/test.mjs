// Runs every test file (unit, integration, e2e) in one node:test run, so the run ends with one
// summary that counts them all. Pass folder names to run a subset: `node scripts/test.mjs unit`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'webview', 'e2e'];
const files = suites.flatMap((suite) => {
  const dir = path.join(root, 'test', suite);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join('test', suite, name));
});
if (files.length === 0) {
  console.error(`no test files in ${suites.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
