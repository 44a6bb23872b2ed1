// The status bar in the real workbench: the receiver's port and a span count that follows
// spans sent by the OpenTelemetry SDK from this process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sendSpans } from './harness/otlp';
import { suiteTimeoutMs, useSession } from './harness/session';
import { clickStatusBarItem, runCommand, screenshot, waitForClipboard, waitForStatusBar } from './harness/workbench';

const ACTIVATION_TIMEOUT_MS = 60_000;
const COUNT_TIMEOUT_MS = 15_000;

describe('status bar in code-server', { timeout: suiteTimeoutMs() }, () => {
  const current = useSession({ theme: 'dark' });

  it('shows the receiver port and no spans once the extension is active', async () => {
    const { page, httpPort } = current();
    const text = await waitForStatusBar(page, 'Spanlens', `Spanlens :${httpPort} · 0 spans`, ACTIVATION_TIMEOUT_MS).catch(
      (error: Error) => Promise.reject(new Error(`${error.message}\n${current().diagnostics()}`)),
    );
    assert.equal(text, `Spanlens :${httpPort} · 0 spans`);
  });

  it('counts spans sent by the OTLP/HTTP protobuf exporter', async () => {
    const { page, httpPort } = current();
    try {
      await sendSpans(httpPort, ['e2e first span']);
      assert.equal(await waitForStatusBar(page, 'Spanlens', `Spanlens :${httpPort} · 1 span`, COUNT_TIMEOUT_MS), `Spanlens :${httpPort} · 1 span`);
      await sendSpans(httpPort, ['e2e second span', 'e2e third span']);
      assert.equal(await waitForStatusBar(page, 'Spanlens', `Spanlens :${httpPort} · 3 spans`, COUNT_TIMEOUT_MS), `Spanlens :${httpPort} · 3 spans`);
    } finally {
      // Also on failure: the picture shows what the status bar said instead.
      await screenshot(page, 'statusbar');
    }
  });

  it('copies the endpoint variable when the item is clicked', async () => {
    const { page, httpPort } = current();
    await clickStatusBarItem(page, 'Spanlens');
    const expected = `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${httpPort}`;
    assert.equal(await waitForClipboard(page, expected), expected);
  });

  it('empties the count with Spanlens: Clear All Traces from the command palette', async () => {
    const { page, httpPort } = current();
    await runCommand(page, 'Spanlens: Clear All Traces');
    assert.equal(await waitForStatusBar(page, 'Spanlens', `Spanlens :${httpPort} · 0 spans`, COUNT_TIMEOUT_MS), `Spanlens :${httpPort} · 0 spans`);
  });
});
