/**
 * The span detail pane in a real browser: webview-ui/src/detail bundled by esbuild into memory and
 * served to headless Chromium (playwright-core) from a fake origin, under a webview-like CSP.
 * Every request the page makes is recorded, and none reaches the network.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { SpanDetail } from '../../src/shared/traceView.js';

const CHROMIUM = process.env.SPANLENS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const DETAIL_DIR = path.join(__dirname, '..', '..', 'webview-ui', 'src', 'detail');
export const ORIGIN = 'https://spanlens-webview.test';
const NONCE = 'dGVzdC1ub25jZQ';

/** A webview's policy: nothing but our nonce'd script and styles (no `unsafe-inline`, no images, no fetch). */
export const STRICT_CSP = `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'`;

export interface Bundle {
  js: string;
  css: string;
}

export type ActionCall = { action: 'openFrame'; args: [string, number | null, number | null] } | { action: 'copyText'; args: [string] };

/** What the harness entry puts on `window` (the test tsconfig has no DOM types). */
interface PageGlobals {
  renderDetail(detail: SpanDetail): void;
  renderDetailError(message: string): void;
  __calls: ActionCall[];
  __violations: string[];
  __pwned?: unknown;
}

// The harness entry: render into #root and record what the pane asks of its host.
const ENTRY = `
import { renderDetail, renderDetailError } from './detailPane';
import './detail.css';
const calls = [];
const actions = {
  openFrame: (path, line, column) => calls.push({ action: 'openFrame', args: [path, line, column] }),
  copyText: (text) => calls.push({ action: 'copyText', args: [text] }),
};
const root = () => document.getElementById('root');
Object.assign(window, {
  __calls: calls,
  renderDetail: (detail) => renderDetail(root(), detail, actions),
  renderDetailError: (message) => renderDetailError(root(), message),
});
`;

// Loaded first, so that a violation while the pane's bundle loads is seen too.
const LISTEN = `window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`;

/** detailPane.ts and detail.css as the browser gets them. */
export async function buildBundle(): Promise<Bundle> {
  const result = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: DETAIL_DIR, sourcefile: 'detailHarnessEntry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    outdir: path.join(DETAIL_DIR, 'out'),
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild wrote ${result.outputFiles.map((f) => f.path).join(', ')}`);
  return { js: js.text, css: css.text };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
}

export interface DetailPage {
  page: Page;
  /** Every URL the page requested, its own files included. */
  requests: string[];
  consoleErrors: string[];
  render(detail: SpanDetail): Promise<void>;
  renderError(message: string): Promise<void>;
  /** What the pane asked of its host, in order. */
  calls(): Promise<ActionCall[]>;
  /** CSP violations the page reported. */
  violations(): Promise<string[]>;
  pwned(): Promise<unknown>;
  close(): Promise<void>;
}

/** A page holding only the pane; `csp: null` serves it with no policy at all, so nothing hides a hole. */
export async function openDetailPage(browser: Browser, bundle: Bundle, csp: string | null = STRICT_CSP): Promise<DetailPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  const files: Record<string, [string, string]> = {
    '/': ['text/html', html()],
    '/listen.js': ['text/javascript', LISTEN],
    '/detail.js': ['text/javascript', bundle.js],
    '/detail.css': ['text/css', bundle.css],
    '/theme.css': ['text/css', THEME],
  };
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    const file = url.origin === ORIGIN ? files[url.pathname] : undefined;
    if (!file) return route.abort('blockedbyclient');
    const headers: Record<string, string> = { 'content-type': file[0] };
    if (csp) headers['content-security-policy'] = csp;
    return route.fulfill({ status: 200, headers, body: file[1] });
  });
  await page.goto(`${ORIGIN}/`, { waitUntil: 'load' });
  return {
    page,
    requests,
    consoleErrors,
    render: (detail) => page.evaluate((d) => (globalThis as unknown as PageGlobals).renderDetail(d), detail),
    renderError: (message) => page.evaluate((m) => (globalThis as unknown as PageGlobals).renderDetailError(m), message),
    calls: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__calls.slice()),
    violations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__violations.slice()),
    pwned: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned),
    close: () => context.close(),
  };
}

/** Some of the variables VS Code sets on a webview (Dark Modern), so screenshots look like the real pane. */
const THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace; --vscode-editor-font-size: 12px;
  --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-descriptionForeground: #9d9d9d; --vscode-errorForeground: #f85149;
  --vscode-panel-border: #2b2b2b; --vscode-textCodeBlock-background: #2b2b2b; --vscode-textLink-foreground: #4daafc; --vscode-focusBorder: #0078d4;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-button-secondaryBackground: #313131;
  --vscode-button-secondaryForeground: #cccccc; --vscode-charts-blue: #3794ff; --vscode-charts-green: #89d185; --vscode-charts-orange: #d18616;
  --vscode-charts-purple: #b180d7; --vscode-editorWarning-foreground: #cca700;
}
body { margin: 0; background: var(--vscode-editor-background); }`;

function html(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<script nonce="${NONCE}" src="/listen.js"></script>
<link rel="stylesheet" nonce="${NONCE}" href="/theme.css">
<link rel="stylesheet" nonce="${NONCE}" href="/detail.css">
</head>
<body>
<div id="root"></div>
<script nonce="${NONCE}" src="/detail.js"></script>
</body>
</html>`;
}
