// `npm run test:electron`: the host mocha suite (test/e2e/host-suite) in desktop VS Code via
// @vscode/test-electron, with the repo root as the extension under development. The same
// suite runs in code-server with `node --import tsx --test test/e2e/host.e2e.test.ts`.
//
// test-electron downloads VS Code from update.code.visualstudio.com unless
// SPANLENS_VSCODE_EXECUTABLE names an installed one; SPANLENS_VSCODE_VERSION picks the version
// to download (default: stable). On Linux without a display, run it under `xvfb-run -a`.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { register } from 'tsx/cjs/api';

const DOWNLOAD_TIMEOUT_MS = 30_000;

register();
const require = createRequire(import.meta.url);
const { buildHostSuite } = require('../../../scripts/e2e/hostSuite.ts');
const { createProfile, freePort, removeProfile } = require('../../../scripts/e2e/codeServer.ts');
const { repoRoot } = require('../../../scripts/e2e/codeServerCache.ts');

const { testsEntry, suiteFiles } = await buildHostSuite({ pack: false });
const [httpPort, grpcPort] = [await freePort(), await freePort()];
// Free receiver ports, so a Spanlens running in the developer's own VS Code is left alone.
const profile = createProfile({ settings: { 'spanlens.receiver.httpPort': httpPort, 'spanlens.receiver.grpcPort': grpcPort } });
const workspace = path.join(profile.root, 'workspace');
mkdirSync(workspace, { recursive: true });
process.stdout.write(`[test:electron] running ${suiteFiles.join(', ')} from ${testsEntry}\n`);

let exitCode = 1;
try {
  exitCode = await runTests({
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsEntry,
    vscodeExecutablePath: process.env.SPANLENS_VSCODE_EXECUTABLE || undefined,
    version: process.env.SPANLENS_VSCODE_VERSION || undefined,
    timeout: DOWNLOAD_TIMEOUT_MS,
    launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${profile.userDataDir}`, `--extensions-dir=${profile.extensionsDir}`],
  });
  if (exitCode !== 0) process.stderr.write(`[test:electron] the host suite failed in VS Code (exit code ${exitCode})\n`);
} catch (error) {
  process.stderr.write(explain(error));
} finally {
  removeProfile(profile);
}
process.exit(exitCode === 0 ? 0 : 1);

function explain(error) {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`[test:electron] could not run desktop VS Code: ${message}`];
  if (!process.env.SPANLENS_VSCODE_EXECUTABLE) {
    lines.push(
      '  @vscode/test-electron downloads VS Code from update.code.visualstudio.com, which this machine cannot reach.',
      '  Run where that host is reachable, or set SPANLENS_VSCODE_EXECUTABLE to an installed VS Code binary.',
    );
  }
  if (process.platform === 'linux' && !process.env.DISPLAY) lines.push('  No DISPLAY is set: on Linux run it as `xvfb-run -a npm run test:electron`.');
  lines.push('  The same suite runs in code-server: node --import tsx --test test/e2e/host.e2e.test.ts');
  return `${lines.join('\n')}\n`;
}
