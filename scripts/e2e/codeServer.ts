// Starts and stops code-server (installed by codeServerCache.ts) with its own CLI: a profile
// folder per run, extensions installed from VSIX files, loopback only. Shared by the e2e tests
// and `npm start`.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CodeServerPaths } from './codeServerCache';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const INSTALL_TIMEOUT_MS = 120_000;

export interface Profile {
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly configFile: string;
  readonly logFile: string;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readLog(): string;
  /** Settles when the server process exits, for whatever reason. */
  readonly exited: Promise<Exit>;
  /** Ends the server's whole process group (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly paths: CodeServerPaths;
  readonly profile: Profile;
  /** Folder the workbench opens. */
  readonly workspace: string;
  /** Defaults to a free port. */
  readonly port?: number;
  /** Extra environment for the server, inherited by its extension host. */
  readonly env?: Record<string, string>;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Process groups still running; killed when this process exits or is signalled, so no server outlives a run. */
const liveGroups = new Set<number>();
process.on('exit', killLiveGroups);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    // Another listener (npm start, the test runner) owns the shutdown; the 'exit' hook is the net.
    if (process.listenerCount(signal) > 0) return;
    killLiveGroups();
    // Die of the signal as if this listener had never been installed.
    process.kill(process.pid, signal);
  });
}

function killLiveGroups(): void {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

/** Settings that keep the workbench quiet and deterministic for a machine driving it. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** A port the OS reports free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return listenAndClose(0);
}

/** Whether `port` on 127.0.0.1 can be listened on right now. */
export async function isPortFree(port: number): Promise<boolean> {
  try {
    await listenAndClose(port);
    return true;
  } catch {
    return false;
  }
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A profile: user-data-dir, extensions-dir and config, in a fresh temp folder unless `root` is given.
 * `settings` go to User/settings.json on top of QUIET_SETTINGS; `keepSettings` leaves an existing file alone.
 */
export function createProfile(options: { root?: string; settings?: Record<string, unknown>; keepSettings?: boolean } = {}): Profile {
  const root = options.root ?? mkdtempSync(path.join(os.tmpdir(), 'spanlens-e2e-'));
  const profile: Profile = {
    root,
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    configFile: path.join(root, 'config.yaml'),
    logFile: path.join(root, 'code-server.log'),
  };
  const settingsFile = path.join(profile.userDataDir, 'User', 'settings.json');
  mkdirSync(path.dirname(settingsFile), { recursive: true });
  mkdirSync(profile.extensionsDir, { recursive: true });
  // An explicit config file keeps code-server from writing one into ~/.config.
  writeFileSync(profile.configFile, 'cert: false\n');
  if (!options.keepSettings || !existsSync(settingsFile)) {
    writeFileSync(settingsFile, `${JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2)}\n`);
  }
  return profile;
}

/** Installs VSIX files into the profile with `code-server --install-extension`. */
export async function installExtensions(paths: CodeServerPaths, profile: Profile, vsixFiles: readonly string[]): Promise<void> {
  const args = [paths.entry, ...profileArgs(profile)];
  for (const vsix of vsixFiles) args.push('--install-extension', vsix);
  args.push('--force');
  await new Promise<void>((resolve, reject) => {
    execFile(paths.nodeBin, args, { env: serverEnv(profile), timeout: INSTALL_TIMEOUT_MS }, (error, stdout, stderr) => {
      // code-server reports some failures on stderr with exit code 0.
      const failed = error || /\bfailed\b|\berror\b/i.test(stderr);
      if (failed) reject(new Error(`Installing ${vsixFiles.join(', ')} failed: ${error?.message ?? ''}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** Starts code-server on 127.0.0.1:<port> opening `workspace`; resolves once it answers /healthz. */
export async function startCodeServer({ paths, profile, workspace, port, env }: StartOptions): Promise<CodeServer> {
  const serverPort = port ?? (await freePort());
  const args = [
    paths.entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${serverPort}`,
    '--disable-workspace-trust',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...profileArgs(profile),
    workspace,
  ];
  const log = openSync(profile.logFile, 'a');
  // detached: its own process group, so stop() also ends the extension host and file watchers.
  const child = spawn(paths.nodeBin, args, { env: { ...serverEnv(profile), ...env }, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start ${paths.nodeBin}`);
  liveGroups.add(pid);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${serverPort}/`;
  const server: CodeServer = {
    url,
    port: serverPort,
    pid,
    logFile: profile.logFile,
    readLog: () => readFileSync(profile.logFile, 'utf8'),
    exited,
    stop: async () => {
      if (!liveGroups.has(pid)) return;
      killGroup(pid, 'SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
      await Promise.race([exited, timer]);
      // Children of the server (extension host, pty host) may outlive it; end the whole group.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    },
  };
  try {
    await waitUntilHealthy(url, exited);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n--- ${profile.logFile} ---\n${server.readLog()}`);
  }
  return server;
}

/** Removes a temp profile; tolerant because the server may still be releasing files. */
export function removeProfile(profile: Profile): void {
  rmSync(profile.root, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
}

async function waitUntilHealthy(url: string, exited: Promise<Exit>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exit: Exit | undefined;
  void exited.then((value) => (exit = value));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`code-server exited early (${exit.signal ?? `exit ${exit.code}`})`);
    try {
      const response = await fetch(new URL('healthz', url), { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer ${url}healthz within ${START_TIMEOUT_MS / 1000}s`);
}

function profileArgs(profile: Profile): string[] {
  return ['--config', profile.configFile, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];
}

/** The server's environment: nothing inherited that points at another VS Code, no loader flags, XDG dirs in the profile. */
function serverEnv(profile: Profile): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VSCODE_') || key === 'NODE_OPTIONS' || key === 'ELECTRON_RUN_AS_NODE' || /^npm_/i.test(key)) continue;
    env[key] = value;
  }
  env.XDG_CONFIG_HOME = path.join(profile.root, 'xdg-config');
  env.XDG_DATA_HOME = path.join(profile.root, 'xdg-data');
  env.XDG_CACHE_HOME = path.join(profile.root, 'xdg-cache');
  return env;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

