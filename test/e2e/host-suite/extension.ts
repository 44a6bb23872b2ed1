// The companion extension: when the test process asks for it (REPORT_PATH_ENV in the
// environment of code-server, inherited by the extension host), runs the host suite once
// and writes its report there. Without that variable it does nothing.
import { renameSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { REPORT_PATH_ENV, startedMarker, type HostSuiteReport } from './report';
import { describeError, runHostSuite } from './runner';

export function activate(): void {
  const reportPath = process.env[REPORT_PATH_ENV];
  if (reportPath) void runAndReport(reportPath);
}

export function deactivate(): void {
  // Nothing to release: the suite owns no resources after it has reported.
}

async function runAndReport(reportPath: string): Promise<void> {
  const startedAt = new Date().toISOString();
  writeFileSync(startedMarker(reportPath), startedAt);
  let report: HostSuiteReport;
  try {
    report = await runHostSuite();
  } catch (error) {
    report = { vscodeVersion: vscode.version, startedAt, finishedAt: new Date().toISOString(), results: [], fatalError: describeError(error) };
  }
  // Write then rename, so the test process never reads half a report.
  writeFileSync(`${reportPath}.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${reportPath}.tmp`, reportPath);
}
