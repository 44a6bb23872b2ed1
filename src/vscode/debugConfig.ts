/**
 * F5 with tracing: a launch configuration of type node, pwa-node, python or debugpy with
 * `"spanlens": true` gets the traced environment (the receiver, started first, as endpoint; a run
 * id; the Node preload; the Python bootstrap on PYTHONPATH), merged over its own `env`.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { userMessage } from './errors.js';
import type { ReceiverService } from './receiverService.js';
import { RunError, receiverEndpoint, runEnvironment } from './runTargets.js';

export const TRACED_DEBUG_TYPES = ['node', 'pwa-node', 'python', 'debugpy'] as const;

/** The variables a traced launch needs; only what tracing changes, so the launch's env stays small. */
const MERGED = [
  'NODE_OPTIONS',
  'PYTHONPATH',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_SERVICE_NAME',
  // The receiver's token joins the launch's own headers.
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
] as const;

function stringEnv(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The configuration with the traced environment added to its `env`; `base` is the debuggee's environment before. */
export function withTracedEnv(config: vscode.DebugConfiguration, endpoint: string, extensionPath: string, base: NodeJS.ProcessEnv, token?: string): vscode.DebugConfiguration {
  const own = stringEnv(config.env);
  const start: NodeJS.ProcessEnv = {};
  // Start from what the debuggee would see for the variables tracing extends, the launch's own first.
  for (const key of MERGED) {
    const value = own[key] ?? base[key];
    if (value !== undefined) start[key] = value;
  }
  const folder = typeof config.cwd === 'string' ? config.cwd : typeof config.program === 'string' ? path.dirname(config.program) : '';
  const serviceName = own.OTEL_SERVICE_NAME ?? base.OTEL_SERVICE_NAME ?? (path.basename(folder) || String(config.name ?? 'app'));
  const { runId, env } = runEnvironment(endpoint, extensionPath, serviceName, start, token);
  // Dropped by tracing (an Authorization that would replace the token): empty reads as unset.
  for (const key of MERGED) if (start[key] !== undefined && !(key in env)) env[key] = '';
  return { ...config, env: { ...own, ...env }, spanlensRunId: runId };
}

class TracingDebugProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly service: ReceiverService,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    // js-debug resolves a `node` launch again as `pwa-node`: the first resolution's run stands.
    if (config.spanlens !== true || typeof config.spanlensRunId === 'string') return config;
    try {
      const endpoint = await receiverEndpoint(this.service);
      const traced = withTracedEnv(config, endpoint, this.context.extensionPath, process.env, this.service.token);
      this.log.info(`[run] debugging "${String(config.name)}" (${config.type}) traced as run ${String(traced.spanlensRunId)} → ${endpoint}`);
      return traced;
    } catch (err) {
      const message = err instanceof RunError ? err.message : userMessage(err, `trace the launch "${String(config.name)}"`);
      this.log.error(`[run] ${message}`);
      void vscode.window.showWarningMessage(`${message} It starts untraced.`);
      return config;
    }
  }
}

export function registerDebugTracing(context: vscode.ExtensionContext, service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const provider = new TracingDebugProvider(context, service, log);
  return TRACED_DEBUG_TYPES.map((type) => vscode.debug.registerDebugConfigurationProvider(type, provider));
}
