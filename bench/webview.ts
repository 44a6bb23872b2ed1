/**
 * Figures of the "See a trace" issue, in headless Chromium (Debian's, through playwright-core):
 * - time from posting the `trace` message to the rows on screen (10,000 spans: target ≤300 ms;
 *   100,000 spans: ≤1.5 s), measured in the page from `postMessage` to the first frame with rows;
 * - a zoom frame (wheel over the time axis) and a pan frame (drag on the bars) at 100,000 spans:
 *   the work of one event (handler + style + layout, forced synchronously), and the interval
 *   between animation frames when one event is sent per frame (16.7 ms means no frame dropped);
 * - the page's JS heap with 100,000 spans shown (CDP Performance.getMetrics, after a GC);
 * - the exported HTML file with 10,000 spans: navigation to rows on screen, and its size.
 * Run: `node --import tsx bench/webview.ts` (builds dist/webview first when missing). Writes
 * bench/results/webview.json. A benchmark: it prints numbers and does not fail on them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { traceBundle, traceView } from '../src/core/views/traceView.js';
import type { TraceView } from '../src/shared/traceView.js';
import { ensureBuilt, launchChromium, openWebview, serveWebview, standaloneFile } from '../test/webview/harness.js';
import { nestedTrace } from '../test/webview/traces.js';
import { distribution, fmt, MiB, table, type Distribution } from './stats.js';

const FRAMES = 50;
const LOAD_RUNS = 3;

/** Posts the trace inside the page and resolves with ms until a frame shows its rows. */
async function timeTrace(page: Page, view: TraceView): Promise<number> {
  return (await page.evaluate(`new Promise((resolve) => {
    const view = window.__benchView;
    const t0 = performance.now();
    window.postMessage({ method: 'trace', params: { view } }, '*');
    const check = () => document.querySelector('.row[data-span-id]:not([hidden])') ? resolve(performance.now() - t0) : requestAnimationFrame(check);
    requestAnimationFrame(check);
  })`)) as number;
}

/** Hands the view to the page without timing it (playwright's own serialization is not the webview's cost). */
async function stage(page: Page, view: TraceView): Promise<void> {
  await page.evaluate((v) => {
    (globalThis as unknown as { __benchView: unknown }).__benchView = v;
  }, view);
}

/** One event per animation frame, `count` times: per-event work (forced layout) and frame intervals. */
async function frames(page: Page, kind: 'zoom' | 'pan', count: number): Promise<{ work: number[]; interval: number[]; moved: boolean }> {
  return (await page.evaluate(`(async () => {
    const kind = ${JSON.stringify(kind)};
    const axis = document.querySelector('.axis-host svg');
    const a = axis.getBoundingClientRect();
    const lane = document.querySelector('.row:not([hidden]) .lane');
    const l = lane.getBoundingClientRect();
    const raf = () => new Promise((r) => requestAnimationFrame(r));
    const work = [], interval = [];
    const x0 = l.left + l.width / 2, y0 = l.top + 5;
    if (kind === 'pan') lane.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true, clientX: x0, clientY: y0, button: 0, view: window }));
    // The brush shows the window: if it did not move, neither did the time.
    const bar = () => { const b = document.querySelector('.minimap .brush .selection'); return b.getAttribute('x') + ' ' + b.getAttribute('width'); };
    const before = bar();
    let last = await raf();
    for (let i = 0; i < ${count}; i++) {
      const t0 = performance.now();
      if (kind === 'zoom') {
        // Alternate in and out around the axis's middle so the window stays meaningful.
        axis.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, clientX: a.left + a.width / 2, clientY: a.top + 5, deltaY: i % 2 ? 120 : -125, view: window }));
      } else {
        window.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, cancelable: true, clientX: x0 + (i % 20 < 10 ? -(i % 10) * 8 : -(10 - (i % 10)) * 8), clientY: y0, view: window }));
      }
      document.querySelector('.row:not([hidden]) .bar').getBoundingClientRect(); // force style and layout
      work.push(performance.now() - t0);
      const now = await raf();
      interval.push(now - last);
      last = now;
    }
    if (kind === 'pan') window.dispatchEvent(new MouseEvent('mouseup', { bubbles: true, clientX: x0, clientY: y0, view: window }));
    return { work, interval, moved: bar() !== before };
  })()`)) as { work: number[]; interval: number[]; moved: boolean };
}

async function heapMiB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / MiB;
}

const median = (xs: number[]): number => distribution(xs).median;

async function main(): Promise<void> {
  ensureBuilt();
  const browser = await launchChromium();
  const { origin, server } = await serveWebview();
  const results: Record<string, unknown> = { date: new Date().toISOString(), chromium: browser.version() };
  const rows: string[][] = [];
  const loadRows: string[][] = [];
  try {
    for (const count of [10_000, 100_000]) {
      const view = traceView(`bench-${count}`, nestedTrace(count, { errorEvery: 97 }));
      const runs: number[] = [];
      for (let r = 0; r < LOAD_RUNS; r++) {
        const wp = await openWebview(browser, origin);
        await stage(wp.page, view);
        runs.push(await timeTrace(wp.page, view));
        if (count === 100_000 && r === LOAD_RUNS - 1) {
          // Zoom in first so that the pan has room to move.
          await frames(wp.page, 'zoom', 6);
          const zoom = await frames(wp.page, 'zoom', FRAMES);
          const pan = await frames(wp.page, 'pan', FRAMES);
          // A frame that moved nothing would time nothing.
          if (!zoom.moved || !pan.moved) throw new Error(`the ${zoom.moved ? 'pan' : 'zoom'} events did not move the bars`);
          const heap = await heapMiB(wp.page);
          const z = distribution(zoom.work);
          const p = distribution(pan.work);
          const zi = distribution(zoom.interval);
          const pi = distribution(pan.interval);
          results.zoom100k = { work: z, frameInterval: zi };
          results.pan100k = { work: p, frameInterval: pi };
          results.heap100kMiB = heap;
          rows.push(['zoom frame, 100,000 spans (work)', `${fmt(z.median, 2)} ms`, `${fmt(z.p95, 2)} ms`, '≤16 ms']);
          rows.push(['zoom frame interval, 1 wheel/frame', `${fmt(zi.median, 1)} ms`, `${fmt(zi.p95, 1)} ms`, '≈16.7 ms']);
          rows.push(['pan frame, 100,000 spans (work)', `${fmt(p.median, 2)} ms`, `${fmt(p.p95, 2)} ms`, '≤16 ms']);
          rows.push(['pan frame interval, 1 move/frame', `${fmt(pi.median, 1)} ms`, `${fmt(pi.p95, 1)} ms`, '≈16.7 ms']);
          rows.push(['JS heap, 100,000 spans shown', `${fmt(heap, 1)} MiB`, '', '']);
        }
        await wp.page.close();
      }
      const d: Distribution = distribution(runs);
      results[`trace${count / 1000}k`] = { runsMs: runs, ...d };
      loadRows.push([`trace → rows, ${count.toLocaleString('en-US')} spans`, `${fmt(median(runs), 0)} ms`, `${fmt(d.max, 0)} ms (max of ${LOAD_RUNS})`, count === 10_000 ? '≤300 ms' : '≤1500 ms']);
    }

    // The exported file, 10,000 spans.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spanlens-bench-'));
    try {
      const bundle = traceBundle('bench-export', nestedTrace(10_000, { errorEvery: 97 }), []);
      const file = path.join(dir, 'trace.html');
      const html = standaloneFile(bundle);
      writeFileSync(file, html);
      const runs: number[] = [];
      for (let r = 0; r < LOAD_RUNS; r++) {
        const context = await browser.newContext({ offline: true });
        const page = await context.newPage();
        await page.goto(pathToFileURL(file).href, { waitUntil: 'commit' });
        runs.push((await page.evaluate(`new Promise((resolve) => {
          const check = () => document.querySelector('.row[data-span-id]:not([hidden])') ? resolve(performance.now()) : requestAnimationFrame(check);
          check();
        })`)) as number);
        await context.close();
      }
      const d = distribution(runs);
      results.standalone10k = { runsMs: runs, ...d, bytes: Buffer.byteLength(html) };
      rows.push(['exported file, 10,000 spans: open → rows', `${fmt(d.median, 0)} ms`, `${fmt(d.max, 0)} ms (max of ${LOAD_RUNS})`, '']);
      rows.push(['exported file size, 10,000 spans', `${fmt(Buffer.byteLength(html) / MiB, 1)} MiB`, '', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await browser.close();
    server.close();
  }
  process.stdout.write(`${table(['webview', 'median', 'p95 / max', 'target'], [...loadRows, ...rows])}\n`);
  const out = path.join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'webview.json'), `${JSON.stringify(results, null, 2)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
