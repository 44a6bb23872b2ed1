// Reads the companion extension's report from the test process side.
import { existsSync, readFileSync } from 'node:fs';
import { startedMarker, type HostSuiteReport } from '../host-suite/report';

export interface ReportTimeouts {
  /** Until the companion has started the suite: the extension host is up and loaded it. */
  readonly startMs: number;
  /** Until the whole suite has run; grows with the suite, each mocha test is capped at 30 s. */
  readonly runMs: number;
}

/** Waits for the companion to start the suite, then for the report it writes when done. */
export async function waitForHostReport(reportPath: string, timeouts: ReportTimeouts): Promise<HostSuiteReport> {
  const marker = startedMarker(reportPath);
  if (!(await waitForFile(marker, timeouts.startMs))) {
    throw new Error(`The host suite did not start within ${timeouts.startMs / 1000}s (no ${marker}): did the companion extension activate?`);
  }
  if (!(await waitForFile(reportPath, timeouts.runMs))) {
    throw new Error(`The host suite started but wrote no report to ${reportPath} within ${timeouts.runMs / 1000}s`);
  }
  return JSON.parse(readFileSync(reportPath, 'utf8')) as HostSuiteReport;
}

async function waitForFile(file: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
