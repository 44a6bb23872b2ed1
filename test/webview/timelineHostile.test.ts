// Trace text is untrusted: a hostile trace in the VS Code page and in the exported file runs no
// script, loads nothing and adds no element of its own; the exported file works with no network.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Span } from '../../src/core/model.js';
import { traceBundle } from '../../src/core/views/traceView.js';
import { readCompressed } from '../../src/core/views/webviewHtml.js';
import { answerDetails, offlineFilePage, openWebview, standaloneFile, useWebviewHarness } from './harness.js';
import { nestedTrace } from './traces.js';

const PAYLOADS = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[click me](javascript:window.__pwned=3) <a href="javascript:window.__pwned=3">link</a>',
  '![remote](https://example.invalid/x.png) <img src="https://example.invalid/x.png">',
  '</script><script>window.__pwned = 5</script><!--',
  '<iframe src="https://example.invalid/"></iframe><svg onload="window.__pwned = 6"></svg>',
];
const payload = (i: number): string => PAYLOADS[i % PAYLOADS.length]!;

/** A trace whose names, model, summary, attributes, messages, status and exceptions all carry payloads. */
function hostileSpans(): Span[] {
  const spans = nestedTrace(24, { text: (i) => `${payload(i)} #${i}`, errorEvery: 3, orphan: true });
  spans.forEach((s, i) => {
    s.attributes['payload.all'] = PAYLOADS.join('\n');
    if (s.attributes['gen_ai.system'] !== undefined) {
      s.attributes['gen_ai.request.model'] = payload(i + 1);
      s.attributes['gen_ai.prompt.0.role'] = 'user';
      s.attributes['gen_ai.prompt.0.content'] = PAYLOADS.join('\n\n');
      s.attributes['gen_ai.completion.0.role'] = 'assistant';
      s.attributes['gen_ai.completion.0.content'] = `# Answer\n\n${PAYLOADS.join('\n\n')}`;
    }
    s.events.push({
      timeUnixNano: s.startTimeUnixNano, name: 'exception', droppedAttributesCount: 0,
      attributes: { 'exception.type': payload(i + 2), 'exception.message': payload(i + 3), 'exception.stacktrace': `Error: x\n    at f (javascript:window.__pwned=7:1:1)\n    at g (${payload(i)}:2:3)` },
    });
    s.resource = { ...s.resource, attributes: { 'service.name': payload(i + 4) } };
  });
  return spans;
}

/** Nothing of the payload became an element, and nothing ran. */
async function assertInert(page: Page, scripts: number): Promise<void> {
  assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
  assert.equal(await page.locator('script:not([type="application/json"]):not([type="application/octet-stream"])').count(), scripts, 'only our own script');
  for (const selector of ['img[src*="example.invalid"]', 'img[src="x"]', 'iframe', 'svg[onload]', '[onerror]', 'a[href^="javascript:" i]', 'a[href*="example.invalid"]']) {
    assert.equal(await page.locator(selector).count(), 0, `no ${selector}`);
  }
}

const harness = useWebviewHarness();

describe('hostile trace text', () => {
  const bundle = traceBundle('hostile', hostileSpans(), []);

  it('stays text in the VS Code page: rows, summaries and the detail pane', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    await wp.post({ method: 'trace', params: { view: bundle.view } });
    const first = bundle.view.spans[1]!;
    await wp.page.locator(`.row[data-span-id="${first.id}"]`).waitFor();
    assert.equal(await wp.page.locator(`.row[data-span-id="${first.id}"] .name`).textContent(), first.name, 'the name shows as written');
    const llm = bundle.view.spans.find((s) => s.kind === 'llm' && !s.missingParent)!;
    assert.ok(llm.summary.includes('<'), 'the summary carries a payload');
    assert.equal(await wp.page.locator(`.row[data-span-id="${llm.id}"] .summary`).textContent(), llm.summary);
    // Open the detail of several spans (LLM call, failed span, plain span): each is drawn from the hostile detail.
    for (const s of [llm, bundle.view.spans.find((x) => x.error)!, first]) {
      const from = (await wp.posted()).length;
      await wp.page.locator(`.row[data-span-id="${s.id}"] .name`).click();
      await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === s.id, from);
      await answerDetails(wp, bundle, from);
      await wp.page.locator(`.detail-pane .sl-detail[data-span-id="${s.id}"]`).waitFor();
    }
    // Filtering by a payload's text finds it as text.
    await wp.page.locator('vscode-textfield.filter').click();
    await wp.page.keyboard.type('onerror');
    await wp.page.waitForTimeout(100);
    assert.ok((await wp.page.locator('.row:not([hidden])').count()) > 0);
    await wp.page.waitForTimeout(300); // let anything that would load or run do so
    await assertInert(wp.page, 1);
    assert.deepEqual(wp.requests.filter((u) => !u.startsWith(`${harness.origin()}/`)), [], 'no request left the page');
    assert.deepEqual(wp.consoleErrors, [], 'no errors, not even a blocked load');
    await wp.page.close();
  });

  it('stays text in the exported file, which also works with the network blocked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-export-'));
    const file = path.join(dir, 'trace.html');
    const html = standaloneFile(bundle, `${payload(0)} trace`);
    assert.equal(html.includes('</script><script>window.__pwned'), false, 'the embedded JSON cannot close its element');
    writeFileSync(file, html);
    const { context, page, url, requests, errors } = await offlineFilePage(harness.browser(), file);
    try {
      await page.goto(url);
      const rows = bundle.view.spans;
      await page.locator(`.row[data-span-id="${rows[0]!.id}"]`).waitFor();
      assert.equal(await page.title(), `${payload(0)} trace`);
      assert.ok((await page.locator('.row:not([hidden])').count()) >= 10);
      const target = rows.find((s) => s.kind === 'llm' && !s.missingParent)!;
      await page.locator(`.row[data-span-id="${target.id}"] .name`).click();
      await page.locator(`.detail-pane .sl-detail[data-span-id="${target.id}"]`).waitFor();
      await page.keyboard.press('ArrowDown');
      await page.locator(`.detail-pane .sl-detail[data-span-id="${rows[rows.indexOf(target) + 1]!.id}"]`).waitFor();
      await page.waitForTimeout(300);
      await assertInert(page, 1);
      assert.deepEqual(requests, [url], 'only the file itself was loaded');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes the title and the embedded trace in the HTML itself', () => {
    const html = standaloneFile(bundle, '</title><script>window.__pwned = 9</script>');
    assert.ok(html.includes('<title>&#60;/title&#62;&#60;script&#62;'), 'the title is escaped');
    const embedded = (id: string): string => new RegExp(`<script type="application/octet-stream" id="${id}">([\\s\\S]*?)</script>`).exec(html)![1]!;
    for (const id of ['spanlens-trace', 'spanlens-details']) assert.match(embedded(id), /^[A-Za-z0-9+/=]*$/, `only base64 inside ${id}`);
    assert.deepEqual({ view: readCompressed(embedded('spanlens-trace')), details: readCompressed(embedded('spanlens-details')) }, JSON.parse(JSON.stringify(bundle)), 'the file reads back as the bundle');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:;/);
  });
});
