// The host suite's results as they travel from the extension host to the test process (JSON).
// Types only: imported by both sides.

export type HostTestState = 'passed' | 'failed' | 'pending';

export interface HostTestResult {
  /** Suite titles and the test title joined by spaces, as mocha's fullTitle(). */
  readonly fullTitle: string;
  readonly state: HostTestState;
  readonly durationMs: number;
  /** Failure message and stack, for failed tests and hooks. */
  readonly error?: string;
}

export interface HostSuiteReport {
  readonly vscodeVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly results: readonly HostTestResult[];
  /** Set when the suite could not run at all (load error, crash). */
  readonly fatalError?: string;
}

/** Environment variable that asks the companion extension to run the suite and write its report to that path. */
export const REPORT_PATH_ENV = 'SPANLENS_E2E_REPORT';
/** The repository checkout, for suites whose programs use its node_modules (the workspace copy has none). */
export const REPO_ENV = 'SPANLENS_E2E_REPO';

/** Written next to the report as soon as the suite starts, so a missing companion fails fast. */
export const startedMarker = (reportPath: string): string => `${reportPath}.started`;
