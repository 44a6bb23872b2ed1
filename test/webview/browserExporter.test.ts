/**
 * A real browser app exports to the receiver: a page bundled from the OpenTelemetry web SDK and
 * the OTLP/HTTP exporter (fetch, JSON), served on another port and so cross-origin, in Debian's
 * Chromium. A loopback page's span arrives (CORS preflight and all); a page on a name that is not
 * loopback is refused and stores nothing until its origin is in allowedOrigins.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { type RunningReceiver, eventually, startReceiver } from '../helpers/receiver.js';
import { launchChromium } from './harness.js';

const root = path.resolve(path.dirname(__filename), '../..');
/** Chromium resolves this name to loopback itself; to the receiver it is just a foreign origin. */
const FOREIGN_NAME = 'spanlens-foreign.test';

/** The app: one span, exported with the real exporter; resolves with the export result. */
const PAGE_SCRIPT = `
import { WebTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

window.exportSpan = (url, name, headers) => {
  const finished = new InMemorySpanExporter();
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'browser-app' }),
    spanProcessors: [new SimpleSpanProcessor(finished)],
  });
  const span = provider.getTracer('page').startSpan(name, { attributes: { 'page.origin': location.origin } });
  span.end();
  // A short timeout: a refused (CORS-failed) export is retried until it runs out.
  const exporter = new OTLPTraceExporter({ url, headers, timeoutMillis: 1500 });
  return new Promise((resolve) =>
    exporter.export(finished.getFinishedSpans(), (r) =>
      resolve({ code: r.code, error: r.error ? String(r.error) : '', traceId: span.spanContext().traceId }),
    ),
  );
};
`;

interface ExportOutcome {
  code: number;
  error: string;
  traceId: string;
}

async function bundlePage(): Promise<string> {
  const out = await esbuild.build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: root, sourcefile: 'page.js', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    write: false,
    logLevel: 'warning',
  });
  return out.outputFiles[0]!.text;
}

/** Serves the page and its script on loopback, whatever name the browser used to get here. */
async function servePage(script: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>browser app</title><script src="/app.js"></script>');
    } else if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('browser apps exporting with the OpenTelemetry web SDK', () => {
  let browser: Browser;
  let page: { server: Server; port: number };
  const receivers: RunningReceiver[] = [];

  before(async () => {
    page = await servePage(await bundlePage());
    browser = await launchChromium([`--host-resolver-rules=MAP ${FOREIGN_NAME} 127.0.0.1`]);
  });
  after(async () => {
    await browser?.close();
    page?.server.close();
    for (const rx of receivers) await rx.stop();
  });

  async function receiver(opts: Parameters<typeof startReceiver>[0] = {}): Promise<RunningReceiver> {
    const rx = await startReceiver(opts);
    receivers.push(rx);
    return rx;
  }

  /** Opens the app at `origin` and exports one span named `name` to the receiver. */
  async function exportFrom(origin: string, rx: RunningReceiver, name: string, headers?: Record<string, string>): Promise<ExportOutcome> {
    const tab = await browser.newPage();
    try {
      await tab.goto(`${origin}/`);
      return (await tab.evaluate(
        ([url, spanName, h]) => (globalThis as unknown as { exportSpan(u: string, n: string, h?: Record<string, string>): Promise<ExportOutcome> }).exportSpan(url, spanName, h),
        [`${rx.httpUrl}/v1/traces`, name, headers] as const,
      )) as ExportOutcome;
    } finally {
      await tab.close();
    }
  }

  it('a page on another loopback port (cross-origin) gets its span stored', async () => {
    const rx = await receiver();
    const origin = `http://127.0.0.1:${page.port}`;
    const out = await exportFrom(origin, rx, 'loopback page');
    assert.equal(out.code, 0, `export failed: ${out.error}`);
    const spans = await eventually(() => {
      const t = rx.store.getTrace(out.traceId);
      return t.length ? t : undefined;
    });
    assert.equal(spans[0]!.name, 'loopback page');
    assert.equal(spans[0]!.attributes['page.origin'], origin);
  });

  it('a page on localhost sends the receiver token through the preflight and the POST', async () => {
    const rx = await receiver({ token: 'browser-secret' });
    const origin = `http://localhost:${page.port}`;
    const refused = await exportFrom(origin, rx, 'no token');
    assert.notEqual(refused.code, 0, 'refused without the token');
    const out = await exportFrom(origin, rx, 'with token', { Authorization: 'Bearer browser-secret' });
    assert.equal(out.code, 0, `export failed: ${out.error}`);
    await eventually(() => (rx.store.getTrace(out.traceId).length === 1 ? true : undefined));
    assert.equal(rx.store.getTrace(refused.traceId).length, 0);
  });

  it('a page on a foreign origin is refused and nothing is stored', async () => {
    const rx = await receiver();
    const origin = `http://${FOREIGN_NAME}:${page.port}`;
    const out = await exportFrom(origin, rx, 'foreign page');
    assert.notEqual(out.code, 0, 'the export must fail');
    assert.equal(rx.store.getTrace(out.traceId).length, 0);
    assert.equal(rx.store.spanCount, 0);
    // Refused by the receiver's policy (its preflight answer), not lost some other way.
    assert.ok(
      rx.logs.some((l) => l.includes(`refused a request (403)`) && l.includes(`"${origin}"`)),
      `the receiver logged the refusal: ${rx.logs.join('\n')}`,
    );
  });

  it('the same foreign page works once its origin is in allowedOrigins', async () => {
    const origin = `http://${FOREIGN_NAME}:${page.port}`;
    const rx = await receiver({ allowedOrigins: [origin] });
    const out = await exportFrom(origin, rx, 'allowed foreign page');
    assert.equal(out.code, 0, `export failed: ${out.error}`);
    const spans = await eventually(() => {
      const t = rx.store.getTrace(out.traceId);
      return t.length ? t : undefined;
    });
    assert.equal(spans[0]!.attributes['page.origin'], origin);
  });
});
