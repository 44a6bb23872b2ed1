// Runs the mocha suite in suite/*.test.ts inside the extension host it is loaded into.
// Suite files import describe/it from 'mocha'; they are bundled into this file and loaded
// only after mocha has bound its interface, so new files need no registration.
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { HostSuiteReport, HostTestResult } from './report';

/** File names in suite/, put here by scripts/e2e/hostSuite.ts when it bundles the suite. */
declare const HOST_SUITE_FILES: readonly string[];

const TEST_TIMEOUT_MS = 30_000;

/** Runs every suite file and collects one result per test (and per failed hook). */
export async function runHostSuite(): Promise<HostSuiteReport> {
  const startedAt = new Date().toISOString();
  const mocha = new Mocha({ ui: 'bdd', timeout: TEST_TIMEOUT_MS, color: false, forbidOnly: true, reporter: 'spec' });
  // A private context instead of globalThis: suite files import the interface from 'mocha'.
  const context = {};
  mocha.suite.emit('pre-require', context, 'host-suite', mocha);
  for (const file of HOST_SUITE_FILES) {
    // A template-literal require: esbuild bundles every file in suite/ and resolves it here.
    require(`./suite/${file}`);
  }

  const results: HostTestResult[] = [];
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => results.push(toResult(test, 'passed')));
    runner.on('pending', (test) => results.push(toResult(test, 'pending')));
    runner.on('fail', (runnable, error: unknown) => results.push(toResult(runnable, 'failed', error)));
  });
  return { vscodeVersion: vscode.version, startedAt, finishedAt: new Date().toISOString(), results };
}

/** Entry for @vscode/test-electron: resolves when every test passed, rejects with a summary otherwise. */
export async function runOrThrow(): Promise<void> {
  const report = await runHostSuite();
  const failed = report.results.filter((result) => result.state === 'failed');
  if (report.results.length === 0) throw new Error('The host suite ran no test');
  if (failed.length > 0) {
    throw new Error(`${failed.length} host test(s) failed:\n${failed.map((f) => `- ${f.fullTitle}: ${f.error}`).join('\n')}`);
  }
}

function toResult(runnable: Mocha.Runnable, state: HostTestResult['state'], error?: unknown): HostTestResult {
  return {
    fullTitle: runnable.fullTitle(),
    state,
    durationMs: runnable.duration ?? 0,
    ...(error === undefined ? {} : { error: describeError(error) }),
  };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
