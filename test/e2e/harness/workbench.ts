// Drives the code-server workbench in Debian's headless Chromium through playwright-core.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../../../scripts/e2e/codeServerCache';

const CHROMIUM = process.env.SPANLENS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const WORKBENCH_TIMEOUT_MS = 60_000;
const UI_TIMEOUT_MS = 10_000;

export const resultsDir = path.join(repoRoot, 'test-results');

export interface Workbench {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Messages the page logged as errors, for diagnosing a failed test. */
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

/** Launches a fresh Chromium profile and opens the workbench at `url`, waiting until it is usable. */
export async function openWorkbench(url: string): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // The copy commands write through the browser's clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WORKBENCH_TIMEOUT_MS });
    await waitForWorkbench(page);
    return { browser, context, page, consoleErrors, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** The workbench is usable once its status bar and the explorer of the opened folder are shown. */
export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
  await page.locator('.monaco-workbench .explorer-folders-view').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
}

/** Runs a command the way a person does: F1, type its title, Enter. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input[type="text"]').first();
  // The workbench listens for F1 on the whole window, wherever the focus is.
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await input.fill(`>${title}`);
  // The list filters asynchronously; Enter runs the first row only once it is the one we want.
  const firstRow = widget.locator('.monaco-list-row').first();
  await poll(`the command palette to offer "${title}" first`, async () => (await firstRow.textContent())?.includes(title) === true);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
}

/** Text of the first status bar item whose text starts with `prefix`, or undefined when none does. */
export async function statusBarText(page: Page, prefix: string): Promise<string | undefined> {
  const texts = await page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  return texts.map((text) => text.replace(/\s+/g, ' ').trim()).find((text) => text.startsWith(prefix));
}

/** Clicks the first status bar item whose text starts with `prefix`. */
export async function clickStatusBarItem(page: Page, prefix: string): Promise<void> {
  const items = page.locator('.part.statusbar .statusbar-item');
  const texts = await items.allInnerTexts();
  const index = texts.findIndex((text) => text.replace(/\s+/g, ' ').trim().startsWith(prefix));
  if (index < 0) throw new Error(`No status bar item starts with "${prefix}"; items: ${JSON.stringify(texts)}`);
  await items.nth(index).locator('a, .statusbar-item-label').first().click({ timeout: UI_TIMEOUT_MS });
}

/** The browser clipboard's text (the page has clipboard permissions; see openWorkbench). */
export async function readClipboard(page: Page): Promise<string> {
  // A string expression: this project's type-check has no DOM library.
  return String(await page.evaluate('navigator.clipboard.readText()'));
}

/** Polls the clipboard until it holds `expected`; returns what it last held, for the assertion. */
export async function waitForClipboard(page: Page, expected: string, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
  let text = '';
  const holdsExpected = async (): Promise<boolean> => (text = await readClipboard(page)) === expected;
  await poll(`the clipboard to hold "${expected}"`, holdsExpected, timeoutMs).catch(() => undefined);
  return text;
}

/** Polls the status bar until an item starting with `prefix` equals (string) or matches (RegExp) `expected`; returns its text. */
export async function waitForStatusBar(page: Page, prefix: string, expected: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const matches = (text: string): boolean => (typeof expected === 'string' ? text === expected : expected.test(text));
  let last: string | undefined;
  while (Date.now() < deadline) {
    last = await statusBarText(page, prefix);
    if (last !== undefined && matches(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`Status bar never showed ${JSON.stringify(String(expected))} within ${timeoutMs / 1000}s; last "${prefix}…" item: ${last ?? '(none)'}`);
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** Saves a full-window screenshot to test-results/<scenario>.png and returns its path. */
export async function screenshot(page: Page, scenario: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${scenario}.png`);
  await page.screenshot({ path: file, timeout: UI_TIMEOUT_MS });
  return file;
}
