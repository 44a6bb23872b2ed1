/**
 * The environment of a traced run (`spanlens run`, and the editor's "Run and trace"): where to
 * export, which run the spans belong to, content capture on, a short batch delay, and the Node
 * preload in NODE_OPTIONS. Pure: the caller spawns the process.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface TraceEnvOptions {
  /** OTLP/HTTP base URL of the receiver, e.g. `http://127.0.0.1:4318`. */
  endpoint: string;
  runId: string;
  serviceName: string;
  /** Folder holding `preload.cjs` and `register.mjs` (dist/runtime/node). */
  preloadDir: string;
  /** The environment to start from (default: none). */
  base?: NodeJS.ProcessEnv;
  /** The receiver's token (spanlens.receiver.token): exporters send it as `Authorization: Bearer …`. */
  token?: string;
}

export const RUN_ID_ATTRIBUTE = 'spanlens.run.id';

/** Switches on prompt and completion capture in the instrumentations we know of. */
const CONTENT_CAPTURE: Record<string, string> = {
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
  TRACELOOP_TRACE_CONTENT: 'true',
  OPENINFERENCE_HIDE_INPUTS: 'false',
  OPENINFERENCE_HIDE_OUTPUTS: 'false',
  OPENINFERENCE_HIDE_INPUT_MESSAGES: 'false',
  OPENINFERENCE_HIDE_OUTPUT_MESSAGES: 'false',
};

/**
 * Per-signal endpoints a user may have set would send the spans elsewhere: the run's endpoint
 * replaces them.
 */
const OVERRIDDEN = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'];

/** Per-signal headers win over OTEL_EXPORTER_OTLP_HEADERS key by key: an Authorization there would replace the token. */
const SIGNAL_HEADERS = ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_LOGS_HEADERS'];

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

export function tracedEnvironment(opts: TraceEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.base ?? {})) if (v !== undefined) env[k] = v;
  for (const k of OVERRIDDEN) delete env[k];
  const endpoint = opts.endpoint.replace(/\/+$/, '');
  Object.assign(env, CONTENT_CAPTURE, {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    // Spans arrive while the program runs, not in 5-second batches.
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_SERVICE_NAME: env.OTEL_SERVICE_NAME || opts.serviceName,
    OTEL_RESOURCE_ATTRIBUTES: mergeResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES, opts.runId),
    SPANLENS_RUN_ID: opts.runId,
    NODE_OPTIONS: withPreload(env.NODE_OPTIONS, opts.preloadDir),
  });
  if (opts.token) {
    env.OTEL_EXPORTER_OTLP_HEADERS = withAuthorization(env.OTEL_EXPORTER_OTLP_HEADERS, opts.token);
    for (const k of SIGNAL_HEADERS) {
      if (env[k] === undefined) continue;
      const kept = withoutAuthorization(env[k]);
      if (kept) env[k] = kept;
      else delete env[k];
    }
  }
  return env;
}

/** An OTLP headers list (`key=value,…`, values percent-encoded) without its Authorization entry. */
export function withoutAuthorization(headers: string | undefined): string {
  return (headers ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.split('=')[0]!.trim().toLowerCase() !== 'authorization')
    .join(',');
}

/** Keeps the user's other headers (say, for a collector they also use); the Authorization is ours. */
export function withAuthorization(headers: string | undefined, token: string): string {
  const kept = withoutAuthorization(headers);
  const ours = `Authorization=${encodeURIComponent(`Bearer ${token}`)}`;
  return kept ? `${kept},${ours}` : ours;
}

/** Keeps the user's resource attributes; the run id is ours (an earlier one is replaced). */
export function mergeResourceAttributes(existing: string | undefined, runId: string): string {
  const kept = (existing ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.split('=')[0]!.trim() !== RUN_ID_ATTRIBUTE);
  return [...kept, `${RUN_ID_ATTRIBUTE}=${encodeURIComponent(runId)}`].join(',');
}

/** NODE_OPTIONS quoting: double quotes, with `\` and `"` escaped (paths may hold spaces). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function preloadOptions(preloadDir: string): string {
  const cjs = path.join(preloadDir, 'preload.cjs');
  const esm = pathToFileURL(path.join(preloadDir, 'register.mjs')).href;
  return `--require ${quote(cjs)} --import ${quote(esm)}`;
}

export function withPreload(existing: string | undefined, preloadDir: string): string {
  const ours = preloadOptions(preloadDir);
  const current = (existing ?? '').trim();
  if (current.includes(ours)) return current;
  return current ? `${current} ${ours}` : ours;
}
