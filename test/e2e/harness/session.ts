// One e2e session: the packaged product (and, on request, the host-suite companion) installed
// into a fresh code-server profile, the server on a free loopback port, and Chromium on it.
// close() always tears all of it down, also after a failed start.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { createProfile, freePort, installExtensions, removeProfile, startCodeServer, type CodeServer, type Profile } from '../../../scripts/e2e/codeServer';
import { ensureCodeServer, isCodeServerInstalled, repoRoot } from '../../../scripts/e2e/codeServerCache';
import { buildHostSuite } from '../../../scripts/e2e/hostSuite';
import { REPO_ENV, REPORT_PATH_ENV } from '../host-suite/report';
import { openWorkbench, type Workbench } from './workbench';

export const productVsix = path.join(repoRoot, 'dist', 'spanlens.vsix');

/**
 * Backstop for one e2e file, hooks included. Every step has its own shorter timeout; a first
 * run also installs code-server (about 100 s on this machine, each install step capped at 15 min).
 */
export const suiteTimeoutMs = (): number => (isCodeServerInstalled() ? 10 : 40) * 60_000;

/** Color themes shipped with this VS Code, by the name a test asks for. */
const THEMES = { light: 'Light 2026', dark: 'Dark 2026' } as const;

export interface SessionOptions {
  /** Also install the companion extension and have it run the mocha host suite. */
  readonly hostSuite?: boolean;
  readonly theme?: keyof typeof THEMES;
  /** More user settings, on top of the receiver ports and theme. */
  readonly settings?: Record<string, unknown>;
}

export interface E2eSession {
  readonly server: CodeServer;
  readonly workbench: Workbench;
  readonly page: Page;
  /** Receiver ports set in the user settings, free when the session started. */
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The opened folder: a copy of examples/. */
  readonly workspace: string;
  /** Where the companion writes its report (hostSuite sessions only). */
  readonly reportPath: string;
  /** The end of the server log and the page's console errors, for a failure message. */
  diagnostics(): string;
  close(): Promise<void>;
}

/** One session for a test file: started before its tests, closed after; `current()` throws if it did not start. */
export function useSession(options: SessionOptions = {}): () => E2eSession {
  let session: E2eSession | undefined;
  before(async () => {
    session = await startSession(options);
  });
  after(async () => {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error('the e2e session did not start');
    return session;
  };
}

export async function startSession(options: SessionOptions = {}): Promise<E2eSession> {
  if (!existsSync(productVsix)) throw new Error(`${productVsix} is missing: run \`npm run package\` first`);
  const paths = await ensureCodeServer();
  const [httpPort, grpcPort] = await distinctFreePorts(2);
  const profile = createProfile({
    settings: {
      'spanlens.receiver.httpPort': httpPort,
      'spanlens.receiver.grpcPort': grpcPort,
      ...(options.theme ? { 'workbench.colorTheme': THEMES[options.theme] } : {}),
      ...options.settings,
    },
  });
  const workspace = copyExamples(profile);
  const reportPath = path.join(profile.root, 'host-report.json');
  let server: CodeServer | undefined;
  try {
    const hostSuite = options.hostSuite ? await buildHostSuite({ outDir: path.join(profile.root, 'host-suite') }) : undefined;
    await installExtensions(paths, profile, hostSuite ? [productVsix, hostSuite.vsix] : [productVsix]);
    server = await startCodeServer({ paths, profile, workspace, env: hostSuite ? { [REPORT_PATH_ENV]: reportPath, [REPO_ENV]: repoRoot } : {} });
    // The extension host starts when a window connects, so the browser is what starts the product.
    const workbench = await openWorkbench(server.url);
    return makeSession(server, workbench, profile, { httpPort, grpcPort, workspace, reportPath });
  } catch (error) {
    const log = server ? `\n--- end of ${server.logFile} ---\n${tail(server.readLog())}` : '';
    await server?.stop();
    if (!keepProfile()) removeProfile(profile);
    throw new Error(`${(error as Error).message}${log}`);
  }
}

function makeSession(
  server: CodeServer,
  workbench: Workbench,
  profile: Profile,
  facts: { httpPort: number; grpcPort: number; workspace: string; reportPath: string },
): E2eSession {
  let closed = false;
  return {
    ...facts,
    server,
    workbench,
    page: workbench.page,
    diagnostics: () =>
      `--- end of ${server.logFile} ---\n${tail(server.readLog())}\n--- page console errors ---\n${workbench.consoleErrors.slice(-20).join('\n')}`,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await workbench.close();
      } finally {
        await server.stop();
        if (!keepProfile()) removeProfile(profile);
      }
    },
  };
}

/** A copy of examples/ (or an empty folder while it has nothing) that tests may change freely. */
function copyExamples(profile: Profile): string {
  const workspace = path.join(profile.root, 'workspace');
  const examples = path.join(repoRoot, 'examples');
  if (existsSync(examples)) cpSync(examples, workspace, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  return workspace;
}

/** SPANLENS_E2E_KEEP=1 leaves each profile (server log, settings, host report) in the temp folder for a look. */
function keepProfile(): boolean {
  return process.env.SPANLENS_E2E_KEEP === '1';
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
