/**
 * Runs the built trace webview in Debian's headless Chromium (playwright-core) the way VS Code
 * does: the page from `webviewHtml` served on loopback, with `acquireVsCodeApi` stubbed to record
 * what the page posts and to hold its state; the test plays the host with `post`. This file has no
 * DOM types (test/tsconfig.json): page code goes in as strings or through `globalThis` casts.
 */
import { after, before } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { standaloneHtml, webviewHtml } from '../../src/core/views/webviewHtml.js';
import type { HostMessage, WebviewMessage, WebviewState } from '../../src/shared/protocol.js';
import type { TraceBundle } from '../../src/shared/traceView.js';

const root = path.resolve(path.dirname(__filename), '../..');
export const webviewDist = path.join(root, 'dist/webview');
const NONCE = 'dGVzdC1ub25jZS0xMjM0NTY3OA==';

/** Builds the bundles when dist/webview is missing (a fresh checkout). */
export function ensureBuilt(): void {
  if (existsSync(path.join(webviewDist, 'main.js')) && existsSync(path.join(webviewDist, 'main.css'))) return;
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('node scripts/build.mjs failed');
}

/** `extraArgs`: more Chromium switches, e.g. `--host-resolver-rules` for a page on another name. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SPANLENS_E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-precise-memory-info', ...extraArgs],
    timeout: 30_000,
  });
}

/** A loopback server for the webview page and its two assets; everything else is a 404. */
export async function serveWebview(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = (type: string, body: string | Buffer): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.url === '/') send('text/html', webviewHtml({ nonce: NONCE, cspSource: origin, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, title: 'Spanlens trace' }));
    else if (req.url === '/main.js') send('text/javascript', readFileSync(path.join(webviewDist, 'main.js')));
    else if (req.url === '/main.css') send('text/css', readFileSync(path.join(webviewDist, 'main.css')));
    else if (req.url === '/favicon.ico') {
      res.writeHead(204); // Chromium asks for one; a VS Code webview has none
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The stub VS Code gives the page, plus hooks for the test (set before any page script runs). */
function stubScript(state: WebviewState | undefined): string {
  return `(() => {
    const posted = [];
    let state = ${JSON.stringify(state ?? null)} ?? undefined;
    Object.defineProperty(window, '__spanlensTest', { value: { posted, getState: () => state } });
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => { state = JSON.parse(JSON.stringify(s)); },
    });
  })();`;
}

export interface WebviewPage {
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  consoleErrors: string[];
  post(message: HostMessage): Promise<void>;
  posted(): Promise<WebviewMessage[]>;
  state(): Promise<WebviewState | undefined>;
  /** Waits for the page to post a message matching `pred` (after `from` messages), and returns it. */
  waitPosted(pred: (m: WebviewMessage) => boolean, from?: number): Promise<WebviewMessage>;
}

export async function openWebview(browser: Browser, origin: string, opts: { state?: WebviewState; viewport?: { width: number; height: number } } = {}): Promise<WebviewPage> {
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 800 } });
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.addInitScript(stubScript(opts.state));
  await page.goto(`${origin}/`);
  const posted = async (): Promise<WebviewMessage[]> => (await page.evaluate('window.__spanlensTest.posted')) as WebviewMessage[];
  const wp: WebviewPage = {
    page, requests, consoleErrors,
    post: async (message) => {
      await page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'), message);
    },
    posted,
    state: async () => ((await page.evaluate('window.__spanlensTest.getState() ?? null')) as WebviewState | null) ?? undefined,
    waitPosted: async (pred, from = 0) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = (await posted()).slice(from).find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the page did not post the expected message; posted: ${JSON.stringify((await posted()).map((m) => m.method))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  await wp.waitPosted((m) => m.method === 'ready');
  return wp;
}

/** Answers the page's `getDetail` requests from a bundle (what the panel host does from the store). */
export async function answerDetails(wp: WebviewPage, bundle: TraceBundle, from: number): Promise<number> {
  const all = await wp.posted();
  for (const m of all.slice(from)) {
    if (m.method !== 'getDetail') continue;
    const detail = bundle.details[m.params.spanId];
    await wp.post({ method: 'reply', params: detail ? { requestId: m.requestId, result: detail } : { requestId: m.requestId, error: `no span ${m.params.spanId}` } });
  }
  return all.length;
}

/** The exported file for a bundle, from the built assets. */
export function standaloneFile(bundle: TraceBundle, title = 'Spanlens trace'): string {
  return standaloneHtml({
    script: readFileSync(path.join(webviewDist, 'main.js'), 'utf8'),
    style: readFileSync(path.join(webviewDist, 'main.css'), 'utf8'),
    bundle,
    title,
    nonce: NONCE,
  });
}

/** The setup every webview test file shares: the build, one browser and the page server, closed after. */
export function useWebviewHarness(): { browser(): Browser; origin(): string } {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let origin = '';
  before(async () => {
    ensureBuilt();
    browser = await launchChromium();
    ({ server, origin } = await serveWebview());
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });
  return { browser: () => browser!, origin: () => origin };
}

/**
 * A page for an exported HTML file, in an offline context that lets the file itself load and
 * aborts anything else, recording every request and page error. The caller navigates to `url`.
 */
export async function offlineFilePage(browser: Browser, file: string): Promise<{ context: BrowserContext; page: Page; url: string; requests: string[]; errors: string[] }> {
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  return { context, page, url, requests, errors };
}
