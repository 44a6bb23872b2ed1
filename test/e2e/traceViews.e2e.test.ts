// The trace views in the real workbench: a trace sent by the OpenTelemetry SDK shows in the
// Runs & Traces tree with its hierarchy, a span opens the timeline webview, and clicking a bar
// shows that LLM call's transcript. Screenshots in the dark and the light theme.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { sendAgentTrace } from './harness/otlp';
import { suiteTimeoutMs, useSession } from './harness/session';
import { runCommand, screenshot, waitForStatusBar } from './harness/workbench';

const UI_TIMEOUT_MS = 20_000;

/** A file of the user's app: the call to the model is on CALL_LINE. */
const WEATHER_SOURCE = `import OpenAI from 'openai';

const client = new OpenAI();

export async function askWeather(city: string) {
  const answer = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: \`What is the weather in \${city}?\` }],
  });
  return answer.choices[0]?.message;
}
`;
const CALL_LINE = 6;

/** The tree's row whose label starts with `label`. */
function treeRow(page: Page, label: string): Locator {
  return page.locator('.pane-body .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) }).first();
}

/** The trace webview's page: VS Code nests the extension's document in two iframes. */
function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

describe('trace tree and timeline in code-server', { timeout: suiteTimeoutMs() }, () => {
  const current = useSession({ theme: 'dark' });

  it('shows a new trace in the tree, run → trace → spans', async () => {
    const { page, httpPort } = current();
    await waitForStatusBar(page, 'Spanlens', `Spanlens :${httpPort} · 0 spans`, 60_000).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${current().diagnostics()}`)));
    await runCommand(page, 'View: Show Spanlens');
    await sendAgentTrace(httpPort);
    const run = treeRow(page, 'spanlens-e2e-agent');
    await run.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await run.click();
    const traceRow = treeRow(page, 'invoke_agent weather');
    await traceRow.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await traceRow.click();
    const llm = treeRow(page, 'chat gpt-4o-mini');
    const tool = treeRow(page, 'execute_tool get_weather');
    await llm.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await tool.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    // Under the trace: the agent span, and its two children one level deeper.
    const level = async (row: Locator): Promise<number> => Number(await row.getAttribute('aria-level'));
    const agent = page.locator('.pane-body .monaco-list-row[aria-level]').filter({ hasText: 'invoke_agent weather' });
    const agentLevel = Math.max(...(await Promise.all((await agent.all()).map(level))));
    assert.equal(await level(llm), agentLevel + 1);
    assert.equal(await level(tool), agentLevel + 1);
    assert.match((await llm.innerText()).replace(/\s+/g, ' '), /gpt-4o-mini · \d+ ms · 43 tok · \$/);
  });

  it('opens the timeline from a span and shows the transcript when a bar is clicked', async () => {
    const { page } = current();
    await treeRow(page, 'chat gpt-4o-mini').click();
    const view = webview(page);
    const rows = view.locator('.row[data-span-id]');
    await rows.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.equal(await rows.count(), 3);
    // Click the tool's bar first, then the LLM call's: the detail follows the bar clicked.
    await view.locator('.row', { hasText: 'execute_tool get_weather' }).locator('.bar').click();
    await view.getByText('get_weather').first().waitFor({ timeout: UI_TIMEOUT_MS });
    await view.locator('.row', { hasText: 'chat gpt-4o-mini' }).locator('.bar').click();
    const transcript = view.locator('.sl-transcript');
    await transcript.getByText('What is the weather in Paris?').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await transcript.innerText(), /get_weather/);
    assert.match(await transcript.innerText(), /"city": "Paris"/);
    await screenshot(page, 'timeline-dark');
  });

  it('follows the light theme', async () => {
    const s = current();
    // As a person does it: the theme picker, then the theme's name.
    const input = s.page.locator('.quick-input-widget input[type="text"]').first();
    await s.page.keyboard.press('F1');
    await input.fill('>Preferences: Color Theme');
    await s.page.locator('.quick-input-widget .monaco-list-row', { hasText: /^Preferences: Color Theme/ }).first().click({ timeout: UI_TIMEOUT_MS });
    await input.fill('Light 2026');
    await s.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Light 2026' }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    await s.page.keyboard.press('Enter');
    const view = webview(s.page);
    // The webview gets the theme's variables on its body: wait until the background is light.
    const background = async (): Promise<number> => {
      const rgb = await view.locator('body').evaluate('getComputedStyle(document.body).backgroundColor');
      const [r, g, b] = String(rgb).match(/\d+/g)!.map(Number);
      return (r! + g! + b!) / 3;
    };
    const deadline = Date.now() + UI_TIMEOUT_MS;
    while ((await background()) < 128 && Date.now() < deadline) await s.page.waitForTimeout(200);
    assert.ok((await background()) >= 128, 'the webview switched to the light theme');
    await screenshot(s.page, 'timeline-light');
  });

  it('puts the call next to its line: a CodeLens with the summary and the response at the end of the line', async () => {
    const s = current();
    const file = path.join(s.workspace, 'weather.ts');
    writeFileSync(file, WEATHER_SOURCE);
    await sendAgentTrace(s.httpPort, { file, line: CALL_LINE, function: 'askWeather' });
    // Quick Open, as a person opens a file.
    await s.page.keyboard.press('Control+P');
    const input = s.page.locator('.quick-input-widget input[type="text"]').first();
    await input.fill('weather.ts');
    await s.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'weather.ts' }).first().click({ timeout: UI_TIMEOUT_MS });
    const lens = s.page.locator('.monaco-editor .codelens-decoration', { hasText: 'gpt-4o-mini' });
    await lens.first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await lens.first().innerText(), /gpt-4o-mini · \d+ ms · 43 tok · \$[\d.]+ · 1 call in last run/);
    await screenshot(s.page, 'editor-light');
  });
});
