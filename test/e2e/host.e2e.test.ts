// The mocha suite in test/e2e/host-suite/suite runs inside code-server's real extension host
// (through the companion extension); each of its results becomes a subtest here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitForHostReport } from './harness/hostReport';
import { startSession, suiteTimeoutMs, type E2eSession } from './harness/session';
import { screenshot } from './harness/workbench';

const REPORT_TIMEOUTS = { startMs: 60_000, runMs: 8 * 60_000 };

describe('host suite in code-server', { timeout: suiteTimeoutMs() }, () => {
  let session: E2eSession | undefined;

  before(async () => {
    session = await startSession({ hostSuite: true });
  });

  after(async () => {
    await session?.close();
  });

  it('runs every mocha test in the extension host and all of them pass', async (t) => {
    const current = session;
    assert.ok(current, 'the session did not start');
    const report = await waitForHostReport(current.reportPath, REPORT_TIMEOUTS).catch((error: Error) => {
      throw new Error(`${error.message}\n${current.diagnostics()}`);
    });
    await screenshot(current.page, 'host-suite');
    t.diagnostic(`VS Code ${report.vscodeVersion}: ${report.results.length} host test(s)`);
    assert.equal(report.fatalError, undefined, `the host suite could not run:\n${report.fatalError}`);
    assert.ok(report.results.length > 0, 'the host suite ran no test');
    for (const result of report.results) {
      await t.test(result.fullTitle, (sub) => {
        if (result.state === 'pending') return sub.skip('pending in the mocha suite');
        assert.equal(result.state, 'passed', result.error);
      });
    }
  });
});
