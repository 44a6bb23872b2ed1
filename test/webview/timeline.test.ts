// The trace timeline webview in headless Chromium: the built page from webviewHtml, a stubbed VS Code API, the test as host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceBundle } from '../../src/core/views/traceView.js';
import type { WebviewMessage } from '../../src/shared/protocol.js';
import type { TraceBundle } from '../../src/shared/traceView.js';
import { answerDetails, openWebview, standaloneFile, useWebviewHarness, type WebviewPage } from './harness.js';
import { nestedTrace } from './traces.js';

const harness = useWebviewHarness();

const rowIds = async (wp: WebviewPage): Promise<string[]> => wp.page.locator('.row:not([hidden])').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { spanId: string } }).dataset.spanId));
const selectedId = (wp: WebviewPage): Promise<string | null> => wp.page.locator('.row.selected').getAttribute('data-span-id');
const windowOf = async (wp: WebviewPage): Promise<[number, number] | undefined> => {
  await wp.page.waitForTimeout(150); // the state is written once zooming settles
  return (await wp.state())?.window;
};

async function showTrace(wp: WebviewPage, bundle: TraceBundle): Promise<void> {
  await wp.post({ method: 'trace', params: { view: bundle.view } });
  await wp.page.locator(`.row[data-span-id="${bundle.view.spans[0]!.id}"]`).waitFor();
}

describe('trace timeline webview', () => {
  const bundle = traceBundle('t1', nestedTrace(40, { errorEvery: 7, orphan: true }), []);
  const spans = bundle.view.spans;

  it('draws only the rows on screen, each row and bar tagged with its span id', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    const big = traceBundle('big', nestedTrace(5000), []);
    await showTrace(wp, big);
    const ids = await rowIds(wp);
    assert.ok(ids.length > 10 && ids.length < 120, `${ids.length} rows in the DOM for 5000 spans`);
    assert.deepEqual(ids.slice(0, 3), big.view.spans.slice(0, 3).map((s) => s.id));
    assert.equal(await wp.page.locator(`.bar[data-span-id="${big.view.spans[1]!.id}"]`).count(), 1);
    await wp.page.locator('.rows').evaluate((el) => { (el as unknown as { scrollTop: number }).scrollTop = 22 * 3000; });
    await wp.page.locator(`.row[data-span-id="${big.view.spans[3000]!.id}"]`).waitFor();
    // Another trace replaces it, shown from its top.
    await showTrace(wp, bundle);
    assert.deepEqual((await rowIds(wp)).slice(0, 2), spans.slice(0, 2).map((s) => s.id));
    assert.equal(await wp.page.locator(`.row[data-span-id="${big.view.spans[3000]!.id}"]`).count(), 0);
    assert.deepEqual(wp.consoleErrors, []);
    await wp.page.close();
  });

  it('marks errors, orphans, time to first token and the critical path', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, bundle);
    const failed = spans.find((s) => s.error)!;
    assert.match((await wp.page.locator(`.row[data-span-id="${failed.id}"]`).getAttribute('class')) ?? '', /\berror\b/);
    const llm = spans.find((s) => s.ttftMs !== null && !s.missingParent)!;
    assert.equal(await wp.page.locator(`.row[data-span-id="${llm.id}"] .ttft`).isVisible(), true);
    assert.ok((await wp.page.locator('.bar.critical').count()) >= 2);
    assert.equal(await wp.page.locator(`.bar.critical[data-span-id="${spans[0]!.id}"]`).count(), 1);
    const orphan = spans.find((s) => s.missingParent)!;
    await wp.page.locator('.rows').evaluate((el) => { (el as unknown as { scrollTop: number }).scrollTop = 1e6; });
    assert.equal(await wp.page.locator(`.row[data-span-id="${orphan.id}"] .mark`).textContent(), 'missing parent');
    await wp.page.close();
  });

  it('folds and unfolds a subtree from its toggle', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, bundle);
    const parent = spans[1]!;
    const child = spans.find((s) => s.parentId === parent.id)!;
    await wp.page.locator(`.row[data-span-id="${parent.id}"] .fold`).click();
    assert.equal(await wp.page.locator(`.row[data-span-id="${child.id}"]:not([hidden])`).count(), 0);
    assert.equal(await wp.page.locator(`.row[data-span-id="${parent.id}"]`).getAttribute('aria-expanded'), 'false');
    await wp.page.waitForTimeout(150);
    assert.deepEqual((await wp.state())?.collapsed, [parent.id]);
    await wp.page.locator(`.row[data-span-id="${parent.id}"] .fold`).click();
    await wp.page.locator(`.row[data-span-id="${child.id}"]`).waitFor();
    await wp.page.close();
  });

  it('zooms with the wheel over the time axis and pans by dragging the bars', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, bundle);
    const full = await windowOf(wp);
    assert.deepEqual(full, [0, bundle.view.durationMs]);
    const axis = (await wp.page.locator('.axis-host').boundingBox())!;
    await wp.page.mouse.move(axis.x + axis.width / 2, axis.y + axis.height / 2);
    await wp.page.mouse.wheel(0, -400);
    const zoomed = (await windowOf(wp))!;
    assert.ok(zoomed[1] - zoomed[0] < full![1] - full![0] - 1, `zoomed to ${JSON.stringify(zoomed)}`);
    // A span that ended before the window has no bar (nor critical-path marks) on screen.
    const before = spans.slice(0, 20).find((s) => s.startMs + s.durationMs < zoomed[0])!;
    assert.ok(before, 'a span left of the window');
    assert.equal(await wp.page.locator(`.row[data-span-id="${before.id}"] .lane > :not([hidden])`).count(), 0);
    const barBefore = await wp.page.locator(`.bar[data-span-id="${spans[1]!.id}"]`).boundingBox();
    const lane = (await wp.page.locator('.row .lane').first().boundingBox())!;
    await wp.page.mouse.move(lane.x + lane.width / 2, lane.y + 5);
    await wp.page.mouse.down();
    await wp.page.mouse.move(lane.x + lane.width / 2 - 200, lane.y + 5, { steps: 5 });
    await wp.page.mouse.up();
    const panned = (await windowOf(wp))!;
    assert.ok(panned[0] > zoomed[0], `panned from ${zoomed[0]} to ${panned[0]}`);
    assert.ok(Math.abs(panned[1] - panned[0] - (zoomed[1] - zoomed[0])) < 1e-6, 'a pan keeps the zoom');
    const barAfter = await wp.page.locator(`.bar[data-span-id="${spans[1]!.id}"]`).boundingBox();
    assert.notDeepEqual(barAfter, barBefore);
    // The minimap brush follows the window, and brushing the minimap sets it.
    assert.equal(await wp.page.locator('.minimap .brush .selection').isVisible(), true);
    const map = (await wp.page.locator('.minimap').boundingBox())!;
    const d = bundle.view.durationMs;
    assert.ok(panned[0] > 0.16 * d, 'the brush starts outside the current window (inside, it would move it)');
    await wp.page.mouse.move(map.x + map.width * 0.02, map.y + 20);
    await wp.page.mouse.down();
    await wp.page.mouse.move(map.x + map.width * 0.15, map.y + 20, { steps: 4 });
    await wp.page.mouse.up();
    const brushed = (await windowOf(wp))!;
    assert.ok(Math.abs(brushed[0] - 0.02 * d) < d * 0.01 && Math.abs(brushed[1] - 0.15 * d) < d * 0.01, `brushed to ${JSON.stringify(brushed)}`);
    await wp.page.close();
  });

  it('moves with the keyboard, posts selected and getDetail, shows the reply and a failed reply', async () => {
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, bundle);
    await wp.page.locator(`.row[data-span-id="${spans[0]!.id}"] .name`).click();
    await wp.waitPosted((m) => m.method === 'selected' && m.params.spanId === spans[0]!.id);
    const down = (await wp.posted()).length;
    await wp.page.keyboard.press('ArrowDown');
    assert.equal(await selectedId(wp), spans[1]!.id);
    const sel = await wp.waitPosted((m) => m.method === 'selected', down);
    assert.deepEqual(sel, { method: 'selected', params: { spanId: spans[1]!.id } });
    const req = await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === spans[1]!.id, down);
    assert.equal(typeof (req as Extract<WebviewMessage, { method: 'getDetail' }>).requestId, 'number');
    await answerDetails(wp, bundle, down);
    await wp.page.locator(`.detail-pane .sl-detail[data-span-id="${spans[1]!.id}"]`).waitFor();

    await wp.page.keyboard.press('ArrowLeft'); // folds spans[1]
    assert.equal(await wp.page.locator(`.row[data-span-id="${spans[1]!.id}"]`).getAttribute('aria-expanded'), 'false');
    await wp.page.keyboard.press('ArrowRight'); // unfolds
    assert.equal(await wp.page.locator(`.row[data-span-id="${spans[1]!.id}"]`).getAttribute('aria-expanded'), 'true');
    await wp.page.keyboard.press('ArrowRight'); // first child
    const firstChild = spans.find((s) => s.parentId === spans[1]!.id)!;
    assert.equal(await selectedId(wp), firstChild.id);
    await wp.page.keyboard.press('ArrowLeft'); // folds the child (it has children of its own)
    assert.equal(await wp.page.locator(`.row[data-span-id="${firstChild.id}"]`).getAttribute('aria-expanded'), 'false');
    await wp.page.keyboard.press('ArrowLeft'); // a folded row goes to its parent
    assert.equal(await selectedId(wp), spans[1]!.id);
    await wp.page.keyboard.press('ArrowUp');
    assert.equal(await selectedId(wp), spans[0]!.id);

    const before = (await wp.posted()).length;
    await wp.page.keyboard.press('Enter');
    assert.deepEqual(await wp.waitPosted((m) => m.method === 'openSpan', before), { method: 'openSpan', params: { spanId: spans[0]!.id } });
    // The host cannot answer: its error shows in the detail pane.
    const lastGet = [...(await wp.posted())].reverse().find((m) => m.method === 'getDetail' && m.params.spanId === spans[0]!.id) as Extract<WebviewMessage, { method: 'getDetail' }>;
    await wp.post({ method: 'reply', params: { requestId: lastGet.requestId, error: 'The store is closed.' } });
    await wp.page.locator('.detail-pane [role="alert"]', { hasText: 'The store is closed.' }).waitFor();
    await wp.page.close();
  });

  it('selects and scrolls to a span the host names, unfolding its ancestors, without echoing selected', async () => {
    const big = traceBundle('big2', nestedTrace(3000), []);
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, big);
    await wp.page.locator(`.row[data-span-id="${big.view.spans[0]!.id}"] .fold`).click();
    const target = big.view.spans[2500]!;
    const before = (await wp.posted()).length;
    await wp.post({ method: 'select', params: { spanId: target.id } });
    await wp.page.locator(`.row.selected[data-span-id="${target.id}"]`).waitFor();
    assert.equal(await wp.page.locator(`.row[data-span-id="${target.id}"]`).isVisible(), true);
    await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === target.id, before);
    assert.equal((await wp.posted()).slice(before).some((m) => m.method === 'selected'), false);
    await wp.page.close();
  });

  it('keeps folding, zoom and selection when the trace is updated', async () => {
    const spansIn = nestedTrace(30);
    const first = traceBundle('t-upd', spansIn.slice(0, 20), []);
    const wp = await openWebview(harness.browser(), harness.origin());
    await showTrace(wp, first);
    const folded = first.view.spans[1]!;
    await wp.page.locator(`.row[data-span-id="${folded.id}"] .fold`).click();
    await wp.page.locator(`.row[data-span-id="${first.view.spans[0]!.id}"] .name`).click();
    const axis = (await wp.page.locator('.axis-host').boundingBox())!;
    await wp.page.mouse.move(axis.x + axis.width / 3, axis.y + 10);
    await wp.page.mouse.wheel(0, -300);
    const zoomed = await windowOf(wp);
    await wp.post({ method: 'traceUpdated', params: { view: traceBundle('t-upd', spansIn, []).view } });
    await wp.page.waitForFunction(`document.querySelectorAll('.row').length > 0 && document.querySelector('.trace-count').textContent.startsWith('30 spans')`);
    assert.equal(await wp.page.locator(`.row[data-span-id="${folded.id}"]`).getAttribute('aria-expanded'), 'false');
    assert.equal(await selectedId(wp), first.view.spans[0]!.id);
    assert.deepEqual(await windowOf(wp), zoomed);
    await wp.page.close();
  });

  it('comes back as it was from the saved state (getState)', async () => {
    const parent = spans[1]!;
    const target = spans[spans.length - 3]!;
    const window: [number, number] = [1000, 4000];
    const wp = await openWebview(harness.browser(), harness.origin(), { state: { traceId: 't1', selectedSpanId: target.id, collapsed: [parent.id], window, scrollTop: 0, detailWidth: 300 } });
    await showTrace(wp, bundle);
    assert.equal(await selectedId(wp), target.id);
    assert.equal(await wp.page.locator(`.row[data-span-id="${parent.id}"]`).getAttribute('aria-expanded'), 'false');
    assert.deepEqual(await windowOf(wp), window);
    assert.equal(Math.round((await wp.page.locator('.detail-pane').boundingBox())!.width), 300);
    await wp.waitPosted((m) => m.method === 'getDetail' && m.params.spanId === target.id);
    // Nothing clicked yet (the focus is on the body): the arrow keys still move the selection.
    await wp.page.keyboard.press('ArrowUp');
    const moved = await wp.waitPosted((m) => m.method === 'selected');
    assert.notEqual(moved.method === 'selected' && moved.params.spanId, target.id);
    assert.equal(await selectedId(wp), moved.method === 'selected' ? moved.params.spanId : null);
    await wp.page.close();
  });
});
