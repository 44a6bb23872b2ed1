// The whole hostile corpus (test/fixtures/hostile), as a real OTLP trace made by the SDK and read
// by the real decoder, in the trace webview (timeline and detail pane of every span) and in the
// exported HTML file (`traceHtml`): no payload runs (none sets the flag, no dialog opens), nothing
// is requested from anywhere but the page's own origin, no link can run a command or script, the
// CSP is there and never even hit, bidi overrides stay inside their own element, and a 10 MB line
// shows without hanging the page. timelineHostile.test.ts covers the basic payloads; this file
// drives every surface with the full corpus.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import { readWebviewAssets, traceHtml } from '../../src/core/views/htmlExport.js';
import { traceBundle } from '../../src/core/views/traceView.js';
import type { TraceBundle } from '../../src/shared/traceView.js';
import { HOSTILE, PWN_FLAG, REMOTE_HOST, hugeLineText } from '../fixtures/hostile/corpus.js';
import { hostileRequestBody } from '../fixtures/hostile/trace.js';
import { answerDetails, offlineFilePage, openWebview, type WebviewPage, useWebviewHarness, webviewDist } from './harness.js';

/** The decoded hostile trace, with the full 10 MB line put back where the decoder's value limit cut it. */
function hostileBundle(): { bundle: TraceBundle; llm: string; tool: string } {
  const { body, ids } = hostileRequestBody();
  const decoded = decodeTraces(body, 'protobuf');
  assert.equal(decoded.rejected, 0, decoded.rejectReasons.join('; '));
  const bundle = traceBundle(ids.traceId, decoded.items, []);
  const llm = bundle.details[ids.llm]!.llm!;
  llm.output[0]!.content = `${hugeLineText()}\n${llm.output[0]!.content.slice(0, 10_000)}`;
  llm.input.push({ role: 'user', content: hugeLineText(), toolCalls: [], toolCallId: null });
  bundle.details[ids.tool]!.attributes.push({ key: 'huge', value: hugeLineText() });
  return { bundle, llm: ids.llm, tool: ids.tool };
}

// Recorded before any page script: CSP violations and anything that would run `alert`.
const WATCH = `window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`;

interface Watched {
  dialogs: string[];
}

function watch(page: Page): Watched {
  const w: Watched = { dialogs: [] };
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  return w;
}

/** Nothing ran, nothing loaded, nothing links out but http(s) and mailto, the CSP holds and was not hit. */
async function assertInert(page: Page, w: Watched, where: string): Promise<void> {
  assert.equal(await page.evaluate(`typeof window.${PWN_FLAG}`), 'undefined', `${where}: a payload ran`);
  assert.deepEqual(w.dialogs, [], `${where}: a payload opened a dialog`);
  assert.deepEqual(await page.evaluate('window.__violations'), [], `${where}: the CSP was hit (something tried)`);
  const hrefs = await page.locator('a[href], area[href], [xlink\\:href]').evaluateAll((els) => els.map((e) => e.getAttribute('href') ?? e.getAttribute('xlink:href') ?? ''));
  for (const href of hrefs) assert.match(href, /^(https?:\/\/|mailto:)/i, `${where}: link ${href}`);
  for (const selector of ['iframe', 'object', 'embed', 'frame', 'form', 'base', 'meta[http-equiv="refresh" i]', 'link:not([rel="stylesheet"])', 'svg use', 'img', 'video', 'audio', 'source']) {
    assert.equal(await page.locator(selector).count(), 0, `${where}: a ${selector} element`);
  }
  assert.equal(await page.locator('script:not([type="application/octet-stream"])').count(), 1, `${where}: only our own script`);
  const handlers = await page.locator('body *').evaluateAll((els) => els.flatMap((e) => e.getAttributeNames().filter((n: string) => n.startsWith('on') || n === 'srcdoc' || n === 'formaction')));
  assert.deepEqual(handlers, [], `${where}: event handler attributes`);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /^default-src 'none';/, `${where}: CSP`);
  assert.doesNotMatch(csp ?? '', /unsafe-inline|unsafe-eval|\*/, `${where}: CSP`);
  assert.ok((await page.locator('body').innerText()).length > 0);
}

/** Text elements isolate their bidi runs: an override in one cannot reorder the text beside it. */
async function assertBidiIsolated(page: Page, where: string): Promise<void> {
  const styles = await page.locator('.row .name, .row .summary, .sl-detail code, .sl-detail span').evaluateAll((els) =>
    els.slice(0, 200).map((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { unicodeBidi: string } }).getComputedStyle(e).unicodeBidi),
  );
  assert.ok(styles.length > 0);
  assert.deepEqual([...new Set(styles)], ['isolate'], `${where}: unicode-bidi`);
}

const harness = useWebviewHarness();

describe('hostile corpus in the trace webview and the exported file', () => {
  const { bundle, llm, tool } = hostileBundle();
  const rows = bundle.view.spans;

  it('the VS Code page: every span’s row and detail stay inert; the 10 MB line shows in time', async () => {
    const wp: WebviewPage = await openWebview(harness.browser(), harness.origin());
    const w = watch(wp.page);
    await wp.page.evaluate(WATCH);
    try {
      await wp.post({ method: 'trace', params: { view: bundle.view } });
      await wp.page.locator(`.row[data-span-id="${rows[0]!.id}"]`).waitFor();
      let from = (await wp.posted()).length;
      await wp.page.locator(`.row[data-span-id="${rows[0]!.id}"] .name`).click();
      // Every span in row order, by keyboard: each opens its detail, answered from the bundle.
      for (let i = 0; i < rows.length; i++) {
        if (i > 0) await wp.page.keyboard.press('ArrowDown');
        await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === rows[i]!.id, from);
        from = await answerDetails(wp, bundle, from);
        // Timed from the reply's arrival: handing the page 30 MB through the test driver is not the page's cost.
        const t0 = Date.now();
        await wp.page.locator(`.detail-pane .sl-detail[data-span-id="${rows[i]!.id}"]`).waitFor({ timeout: 10_000 });
        const took = Date.now() - t0;
        assert.ok(took < (rows[i]!.id === llm || rows[i]!.id === tool ? 3_000 : 1_000), `the detail of span ${i} took ${took} ms`);
      }
      await assertBidiIsolated(wp.page, 'VS Code page');
      // Filtering by payload text finds rows and breaks nothing.
      await wp.page.locator('vscode-textfield.filter').click();
      await wp.page.keyboard.type('onerror');
      await wp.page.waitForTimeout(150);
      assert.ok((await wp.page.locator('.row:not([hidden])').count()) > 0);
      await wp.page.waitForTimeout(300);
      await assertInert(wp.page, w, 'VS Code page');
      const foreign = wp.requests.filter((u) => !u.startsWith(`${harness.origin()}/`));
      assert.deepEqual(foreign, [], 'no request left the page’s origin');
      assert.ok(!wp.requests.some((u) => u.includes(REMOTE_HOST)));
      assert.deepEqual(wp.consoleErrors, []);
    } finally {
      await wp.page.close();
    }
  });

  it('the detail pane: "Show all" on the 10 MB line renders it whole, in time, still as text', async (t) => {
    const wp = await openWebview(harness.browser(), harness.origin());
    const w = watch(wp.page);
    await wp.page.evaluate(WATCH);
    try {
      await wp.post({ method: 'trace', params: { view: bundle.view } });
      await wp.page.locator(`.row[data-span-id="${llm}"]`).waitFor();
      const from = (await wp.posted()).length;
      await wp.page.locator(`.row[data-span-id="${llm}"] .name`).click();
      await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === llm, from);
      await answerDetails(wp, bundle, from);
      await wp.page.locator(`.detail-pane .sl-detail[data-span-id="${llm}"]`).waitFor();
      const t0 = Date.now();
      for (let n = await wp.page.locator('.sl-show-all').count(); n > 0; n--) await wp.page.locator('.sl-show-all').first().click({ timeout: 15_000 });
      const took = Date.now() - t0;
      assert.ok(took < 15_000, `showing everything took ${took} ms`);
      t.diagnostic(`"Show all" on every payload of the LLM call (two 10 MB lines among them): ${took} ms`);
      const text = await wp.page.locator('.detail-pane').evaluate((e) => e.textContent ?? '');
      assert.ok(text.includes(hugeLineText()), 'the whole 10 MB line is on the page, as text');
      // The page still answers.
      const t1 = Date.now();
      await wp.page.evaluate('1 + 1');
      assert.ok(Date.now() - t1 < 1_000);
      await assertInert(wp.page, w, 'detail with the 10 MB line');
      assert.deepEqual(wp.requests.filter((u) => !u.startsWith(`${harness.origin()}/`)), []);
    } finally {
      await wp.page.close();
    }
  });

  it('the exported HTML file: every span inert, offline, with the whole corpus and the 10 MB line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-hostile-'));
    const file = path.join(dir, 'trace.html');
    const t0 = Date.now();
    const html = traceHtml(bundle, readWebviewAssets(webviewDist));
    assert.ok(Date.now() - t0 < 10_000, 'the export is built in time');
    for (const h of HOSTILE) assert.ok(!html.includes(h.text) || !/[<>"'&]/.test(h.text), `${h.id} appears raw in the HTML`);
    writeFileSync(file, html);
    const { context, page, url, requests, errors } = await offlineFilePage(harness.browser(), file);
    const w = watch(page);
    await page.addInitScript(WATCH);
    try {
      await page.goto(url);
      await page.locator(`.row[data-span-id="${rows[0]!.id}"]`).waitFor();
      await page.locator(`.row[data-span-id="${rows[0]!.id}"] .name`).click();
      for (let i = 0; i < rows.length; i++) {
        if (i > 0) await page.keyboard.press('ArrowDown');
        await page.locator(`.detail-pane .sl-detail[data-span-id="${rows[i]!.id}"]`).waitFor({ timeout: 10_000 });
      }
      await assertBidiIsolated(page, 'exported file');
      await page.waitForTimeout(300);
      await assertInert(page, w, 'exported file');
      assert.deepEqual(requests, [url], 'only the file itself was loaded');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
