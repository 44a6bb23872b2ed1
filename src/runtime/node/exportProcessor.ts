/**
 * Our batching span processor. Like the SDK's BatchSpanProcessor, but it knows which spans are
 * not yet exported, so that a program ending with `process.exit()` (no chance to wait for an
 * export) still gets them out: synchronously, through a short-lived helper process.
 */
import { execFileSync } from 'node:child_process';
import { TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

const MAX_BATCH = 512;

export class RunSpanProcessor implements SpanProcessor {
  private pending: ReadableSpan[] = [];
  private readonly inFlight = new Map<ReadableSpan[], Promise<void>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly delayMs: number,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.pending.push(span);
    if (this.pending.length >= MAX_BATCH) void this.exportPending();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.exportPending(), this.delayMs);
      // A pending export must not keep the program alive: the exit paths flush.
      this.timer.unref();
    }
  }

  private exportPending(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.exporter.export(batch, () => resolve())).finally(() => this.inFlight.delete(batch));
    this.inFlight.set(batch, done);
    return done;
  }

  async forceFlush(): Promise<void> {
    await this.exportPending();
    await Promise.all(this.inFlight.values());
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }

  /** Spans not known to have arrived (waiting, or in an export that has not answered). */
  unsent(): ReadableSpan[] {
    return [...this.inFlight.keys()].flat().concat(this.pending);
  }
}

/** Reads the body on stdin and POSTs it; run with no NODE_OPTIONS, so without the preload. */
const POST = `const u=new URL(process.argv[1]);const h=JSON.parse(process.argv[2]||'{}');const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>{const b=Buffer.concat(c);const r=require(u.protocol==='https:'?'https':'http').request(u,{method:'POST',headers:{...h,'content-type':'application/x-protobuf','content-length':b.length}},s=>{s.resume();s.on('end',()=>process.exit(0))});r.on('error',()=>process.exit(1));r.end(b)})`;

export function tracesUrl(env: NodeJS.ProcessEnv): string | null {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : null;
}

/**
 * The headers the OTLP exporter sends (OTEL_EXPORTER_OTLP_HEADERS, then the traces-only ones key
 * by key), so the exit-time export carries the receiver's token too.
 */
export function tracesHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const list of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of (list ?? '').split(',')) {
      const eq = pair.indexOf('=');
      const key = pair.slice(0, eq).trim().toLowerCase();
      if (eq < 0 || !key) continue;
      const raw = pair.slice(eq + 1).trim();
      try {
        out[key] = decodeURIComponent(raw);
      } catch {
        out[key] = raw;
      }
    }
  }
  return out;
}

/** At `exit` (synchronous only): sends what is still unsent, waiting at most two seconds. */
export function exportUnsentAtExit(processor: RunSpanProcessor): void {
  process.on('exit', () => {
    const spans = processor.unsent();
    const url = tracesUrl(process.env);
    if (spans.length === 0 || !url) return;
    try {
      const body = ProtobufTraceSerializer.serializeRequest(spans);
      if (!body) return;
      execFileSync(process.execPath, ['-e', POST, url, JSON.stringify(tracesHeaders(process.env))], { input: body, timeout: 2000, stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, NODE_OPTIONS: '' } });
    } catch {
      // The program is ending either way.
    }
  });
}
