/**
 * What "Run and trace" runs: the command line for a file (Node, TypeScript through the workspace's
 * tsx or ts-node or Node's type stripping, Python through the chosen interpreter) and the traced
 * environment a program gets (the receiver as endpoint, a run id, the Node preload and the Python
 * bootstrap).
 */
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { newRunId, tracedEnvironment } from '../core/run/traceEnv.js';
import { endpointHost } from '../receiver/access.js';
import type { ReceiverService } from './receiverService.js';

/** A run that cannot start, with a message the user can act on. */
export class RunError extends Error {
  override readonly name = 'RunError';
}

export type RunLanguage = 'node' | 'python';

export interface RunTarget {
  language: RunLanguage;
  /** The program, then its arguments; quoted by the shell execution. */
  command: string;
  args: string[];
  cwd: string;
  /** Log lines about the choice made (which runner, which interpreter). */
  notes: string[];
}

export interface TracedEnv {
  runId: string;
  env: Record<string, string>;
}

const NODE_EXT = new Set(['.js', '.mjs', '.cjs']);
const TS_EXT = new Set(['.ts', '.mts', '.cts', '.tsx']);
const BIN = process.platform === 'win32' ? (name: string) => `${name}.cmd` : (name: string) => name;

/** Where the extension's runtime files are: dist/runtime/{node,python}. */
export function runtimeDir(extensionPath: string, language: RunLanguage): string {
  return path.join(extensionPath, 'dist', 'runtime', language);
}

/** The receiver's OTLP/HTTP endpoint, starting the receiver when it is not running. */
export async function receiverEndpoint(service: ReceiverService): Promise<string> {
  if (service.state.kind !== 'running') await service.start();
  const state = service.state;
  if (state.kind !== 'running') {
    throw new RunError(`Spanlens: the OTLP receiver is not running${state.kind === 'failed' ? ` (${state.message})` : ''}, so the run could not be traced.`);
  }
  return `http://${endpointHost(state.address.host)}:${state.address.http}`;
}

/**
 * The variables a traced run adds to `base`: the endpoint (and the receiver's token, if any), a
 * new run id, the Node preload when the extension ships it, and the Python bootstrap first on PYTHONPATH.
 */
export function runEnvironment(endpoint: string, extensionPath: string, serviceName: string, base: NodeJS.ProcessEnv, token?: string): TracedEnv {
  const runId = newRunId();
  const preloadDir = runtimeDir(extensionPath, 'node');
  const env = tracedEnvironment({ endpoint, runId, serviceName, preloadDir, base, token });
  // Without the preload, NODE_OPTIONS naming it would stop every Node process in the terminal.
  if (!existsSync(path.join(preloadDir, 'preload.cjs'))) {
    if (base.NODE_OPTIONS) env.NODE_OPTIONS = base.NODE_OPTIONS;
    else delete env.NODE_OPTIONS;
  }
  const bootstrap = runtimeDir(extensionPath, 'python');
  env.PYTHONPATH = base.PYTHONPATH ? `${bootstrap}${path.delimiter}${base.PYTHONPATH}` : bootstrap;
  return { runId, env };
}

/**
 * Only what tracing changes in `base`, for a terminal whose environment is merged into the
 * window's: the extension host's own variables stay out. A variable tracing removes is set empty,
 * which the OpenTelemetry SDKs read as unset.
 */
export function changedVariables(env: Record<string, string>, base: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (base[k] !== v) out[k] = v;
  for (const k of Object.keys(base)) if (!(k in env) && k.startsWith('OTEL_')) out[k] = '';
  return out;
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 10_000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });
}

/** Node's version as [major, minor], or undefined when `node` does not run. */
async function nodeVersion(cwd: string): Promise<[number, number] | undefined> {
  const m = /^v(\d+)\.(\d+)/.exec(await run('node', ['--version'], cwd));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function localBin(folder: string | undefined, name: string): string | undefined {
  if (!folder) return undefined;
  const bin = path.join(folder, 'node_modules', '.bin', BIN(name));
  return existsSync(bin) ? bin : undefined;
}

async function typeScriptTarget(file: string, folder: string | undefined, cwd: string): Promise<RunTarget> {
  const tsx = localBin(folder, 'tsx');
  if (tsx) return { language: 'node', command: tsx, args: [file], cwd, notes: [`TypeScript through the workspace's tsx (${tsx})`] };
  const tsNode = localBin(folder, 'ts-node');
  if (tsNode) return { language: 'node', command: tsNode, args: [file], cwd, notes: [`TypeScript through the workspace's ts-node (${tsNode})`] };
  const version = await nodeVersion(cwd);
  if (version && (version[0] > 22 || (version[0] === 22 && version[1] >= 6))) {
    return { language: 'node', command: 'node', args: ['--experimental-strip-types', file], cwd, notes: [`TypeScript through Node ${version.join('.')}'s type stripping`] };
  }
  throw new RunError(
    `Spanlens cannot run ${path.basename(file)}: it is TypeScript, the workspace has neither tsx nor ts-node in node_modules/.bin, and ` +
      `${version ? `Node ${version.join('.')}` : 'no Node on PATH'} cannot strip types (Node 22.6 or later can). Install tsx (npm install --save-dev tsx) and run again.`,
  );
}

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
}

/** The interpreter chosen in the Python extension, else `python.defaultInterpreterPath`, else python3. */
export async function pythonInterpreter(resource: vscode.Uri | undefined): Promise<string> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (extension) {
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      const chosen = api?.environments?.getActiveEnvironmentPath(resource)?.path;
      if (chosen) return chosen;
    } catch {
      // An extension that fails to activate leaves the settings to decide.
    }
  }
  const configured = vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath');
  if (configured && configured !== 'python') return configured;
  return process.platform === 'win32' ? 'python' : 'python3';
}

async function pythonTarget(file: string, cwd: string): Promise<RunTarget> {
  const interpreter = await pythonInterpreter(vscode.Uri.file(file));
  const notes = [`Python: ${interpreter}`];
  // `opentelemetry-instrument` would put its own sitecustomize ahead of the bootstrap, which runs
  // the same auto-instrumentation itself when it is installed; so the interpreter runs the file.
  if (path.isAbsolute(interpreter) && existsSync(path.join(path.dirname(interpreter), BIN('opentelemetry-instrument')))) {
    notes.push('opentelemetry-instrument is installed: the Spanlens bootstrap runs its auto-instrumentation');
  }
  return { language: 'python', command: interpreter, args: [file], cwd, notes };
}

/** How to run `file`, or a RunError saying why it cannot be. */
export async function targetFor(file: string): Promise<RunTarget> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
  const cwd = folder ?? path.dirname(file);
  const ext = path.extname(file).toLowerCase();
  if (NODE_EXT.has(ext)) return { language: 'node', command: 'node', args: [file], cwd, notes: ['Node'] };
  if (TS_EXT.has(ext)) return typeScriptTarget(file, folder, cwd);
  if (ext === '.py') return pythonTarget(file, cwd);
  throw new RunError(`Spanlens runs JavaScript, TypeScript and Python files; ${path.basename(file)} is none of them. "Spanlens: Run Command with Tracing…" runs any command line.`);
}
