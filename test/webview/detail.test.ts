/**
 * The span detail pane (webview-ui/src/detail) in headless Chromium: real SpanDetails from the
 * instrumentation fixtures, rendered by the real bundle under a webview's CSP; and a hostile span
 * whose every text field tries to run script, load something or link to a command.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { formatCost } from '../../src/shared/format.js';
import type { SpanDetail } from '../../src/shared/traceView.js';
import { spanDetail } from '../../src/core/views/traceView.js';
import { loadFixture, logsOf } from '../helpers/fixtures.js';
import { type Bundle, type DetailPage, ORIGIN, buildBundle, launchBrowser, openDetailPage } from './detailHarness.js';

/** The details of a fixture's spans, in file order, as the host builds them. */
function fixtureDetails(dialect: string, scenario: string): SpanDetail[] {
  const f = loadFixture(dialect, scenario);
  return f.spans.map((span) => spanDetail(span, logsOf(f, span)));
}

/** The detail of the `index`-th span of a fixture. */
function fixtureDetail(dialect: string, scenario: string, index: number): SpanDetail {
  return fixtureDetails(dialect, scenario)[index]!;
}

/** Text with runs of whitespace made one space, as a reader sees it. */
function squash(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** The browser globals the page functions use (the test tsconfig has no DOM types). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { color: string };
}

const OWN_FILES = ['/', '/listen.js', '/theme.css', '/detail.css', '/detail.js'].map((p) => `${ORIGIN}${p}`);

let browser: Browser;
let bundle: Bundle;
let view: DetailPage;

before(async () => {
  bundle = await buildBundle();
  browser = await launchBrowser();
  view = await openDetailPage(browser, bundle);
});

after(async () => {
  await browser?.close();
});

describe('detail pane: an LLM call', () => {
  // MLflow tools, second call: system, user, assistant tool call, tool result, then the answer.
  const detail = fixtureDetail('mlflow', 'tools', 3);

  before(() => view.render(detail));

  it('reads as a transcript: roles and texts in order, the response after a divider', async () => {
    const { page } = view;
    const llm = detail.llm!;
    assert.deepEqual(await page.locator('.sl-msg').evaluateAll((els) => els.map((e) => e.getAttribute('data-role'))), ['system', 'user', 'assistant', 'tool', 'assistant']);
    const texts = (await page.locator('.sl-msg').allInnerTexts()).map(squash);
    assert.match(texts[0]!, new RegExp(`^system .*${llm.system}`, 'i'));
    assert.ok(texts[1]!.includes(llm.input[0]!.content), texts[1]);
    assert.ok(texts[4]!.includes(llm.output[0]!.content), texts[4]);
    assert.equal(await page.locator('.sl-divider').innerText(), 'RESPONSE');
    assert.equal(await page.locator('.sl-divider ~ .sl-msg').count(), 1, 'one response message');
  });

  it('shows a tool call with its name, id and pretty-printed arguments, and matches its result to it', async () => {
    const { page } = view;
    const call = page.locator('.sl-toolcall');
    assert.equal(await call.count(), 1);
    assert.equal(await call.locator('[data-field=tool-name]').innerText(), 'get_weather');
    assert.equal(await call.locator('[data-field=call-id]').innerText(), 'call_fake_weather_1');
    assert.equal(await call.locator('[data-field=arguments]').innerText(), '{\n  "city": "Paris"\n}');
    const result = page.locator('.sl-msg[data-role=tool]');
    assert.equal(await result.getAttribute('data-call-id'), 'call_fake_weather_1');
    assert.equal(await call.getAttribute('data-call-id'), 'call_fake_weather_1');
    assert.equal(squash(await result.locator('[data-field=answers]').innerText()), 'result of #1 get_weather · call_fake_weather_1');
    assert.equal(await result.locator('pre').innerText(), '{\n  "temperature_c": 18,\n  "condition": "sunny"\n}');
    // Pointing at the result lights its call up.
    await result.hover();
    assert.ok((await call.getAttribute('class'))!.includes('sl-linked'));
    await page.mouse.move(0, 0);
    assert.ok(!(await call.getAttribute('class'))!.includes('sl-linked'));
  });

  it('shows the header: name, kind, service, model, tokens, cost, latency, finish reasons, tools', async () => {
    const { page } = view;
    const field = (name: string) => page.locator(`.sl-header [data-field=${name}]`).innerText().then(squash);
    assert.equal(await field('name'), detail.name);
    assert.equal(await field('kind'), 'llm');
    assert.equal(await field('service'), detail.service);
    assert.equal(await field('model'), 'Model gpt-4o-mini → gpt-4o-mini-2024-07-18');
    assert.equal(await field('tokens'), 'Tokens 63 in · 11 out · 74 total · 16 cache read · 0 reasoning');
    assert.equal(await field('cost'), `Cost ${formatCost(detail.llm!.costUsd!)}`);
    assert.equal(await field('latency'), 'Latency 21 ms');
    assert.equal(await field('finish'), 'Finish reasons stop');
    assert.equal(await field('tools'), 'Tools offered get_weather');
    assert.equal(await page.locator('.sl-header [data-field=ttft]').count(), 0, 'no time to first token for a call that did not stream');
  });

  it('filters the attributes by key or value, ignoring case', async () => {
    const { page } = view;
    const rows = page.locator('[data-section=attributes] .sl-attr-row');
    const total = detail.attributes.length + detail.resource.length;
    assert.equal(await rows.count(), total);
    assert.equal(await page.locator('[data-field=filter-count]').innerText(), String(total));
    const input = page.locator('vscode-textfield.sl-filter input');
    await input.fill('SERVICE.NAME');
    assert.deepEqual(await page.locator('[data-section=attributes] .sl-attr-row:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-key'))), ['service.name']);
    assert.equal(await page.locator('[data-field=filter-count]').innerText(), `1 of ${total}`);
    // A value matches too: the model name is only in values.
    await input.fill('gpt-4o-mini');
    const keys = await page.locator('[data-section=attributes] .sl-attr-row:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
    const expected = [...detail.attributes, ...detail.resource].filter((a) => `${a.key}\n${a.value}`.toLowerCase().includes('gpt-4o-mini')).map((a) => a.key);
    assert.ok(expected.length > 1);
    assert.deepEqual(keys, expected);
    await input.fill('');
    assert.equal(await page.locator('[data-section=attributes] .sl-attr-row:visible').count(), total);
  });

  it('says what the sender or the limits dropped, and nothing when nothing was', async () => {
    const { page } = view;
    assert.equal(await page.locator('[data-field=dropped]').count(), 0);
    await view.render({ ...detail, dropped: { attributes: 12, events: 1, links: 0 } });
    assert.equal(squash(await page.locator('[data-section=attributes] [data-field=dropped]').innerText()), 'Dropped 12 attributes, 1 event');
    await view.render(detail);
  });

  it('copies message text, tool arguments, attribute values and the whole span as JSON', async () => {
    const { page } = view;
    const before = (await view.calls()).length;
    await page.locator('.sl-msg[data-role=user] .sl-copy').click();
    await page.locator('.sl-toolcall .sl-copy').click();
    const row = page.locator('.sl-attr-row[data-key="service.name"]');
    await row.hover();
    await row.locator('.sl-copy').click();
    await page.locator('.sl-title-row .sl-copy').click();
    const calls = (await view.calls()).slice(before);
    assert.deepEqual(calls.slice(0, 3), [
      { action: 'copyText', args: [detail.llm!.input[0]!.content] },
      { action: 'copyText', args: ['{"city":"Paris"}'] },
      { action: 'copyText', args: [detail.service] },
    ]);
    assert.equal(calls[3]!.action, 'copyText');
    assert.deepEqual(JSON.parse(calls[3]!.args[0] as string), detail);
  });

  it('loads under a nonce-only CSP with no violation, no console error and no request of its own', async () => {
    assert.deepEqual(await view.violations(), []);
    assert.deepEqual(view.consoleErrors, []);
    assert.deepEqual(view.requests, OWN_FILES);
  });
});

describe('detail pane: other spans', () => {
  it('a streamed call shows its time to first token', async () => {
    const detail = fixtureDetails('mlflow', 'stream').find((d) => d.llm !== null)!;
    assert.equal(detail.llm!.ttftMs, 60);
    await view.render(detail);
    assert.equal(squash(await view.page.locator('[data-field=ttft]').innerText()), 'Time to first token 60 ms');
  });

  it('a call without content shows the capture hint first', async () => {
    const detail = fixtureDetail('genai-semconv', 'chat-nocontent', 0);
    assert.ok(detail.llm?.contentMissing);
    await view.render(detail);
    const hint = view.page.locator('[data-section=transcript] .sl-transcript > :first-child');
    assert.equal(await hint.getAttribute('data-field'), 'content-missing');
    assert.ok(await hint.isVisible());
    assert.match(await hint.innerText(), /OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true/);
    assert.equal(await view.page.locator('.sl-msg').count(), 0);
  });

  it('a tool span shows the tool, its call id, arguments and result', async () => {
    const detail = fixtureDetail('genai-semconv', 'tools', 2);
    assert.equal(detail.kind, 'tool');
    await view.render(detail);
    const tool = view.page.locator('[data-section=tool]');
    assert.equal(await tool.locator('[data-field=tool-name]').innerText(), 'get_weather');
    assert.equal(await tool.locator('[data-field=call-id]').innerText(), 'call_fake_weather_1');
    assert.equal(await tool.locator('[data-field=arguments] pre').innerText(), '{\n  "city": "Paris"\n}');
    assert.equal(await tool.locator('[data-field=result] pre').innerText(), '{\n  "temperature_c": 18,\n  "condition": "sunny"\n}');
  });

  it('an error shows its status message in the error colour and opens stack frames at their line and column', async () => {
    const f = loadFixture('vercel-ai', 'error');
    const span = f.spans.find((s) => s.events.some((e) => e.name === 'exception'))!;
    const detail = spanDetail(span, logsOf(f, span));
    await view.render(detail);
    const { page } = view;
    const message = page.locator('.sl-header [data-field=status-message]');
    assert.equal(await message.innerText(), detail.status.message);
    assert.equal(await message.evaluate((e) => (globalThis as unknown as BrowserGlobals).getComputedStyle(e).color), 'rgb(248, 81, 73)', '--vscode-errorForeground of the harness theme');
    assert.equal(await page.locator('.sl-header [data-field=status]').innerText(), 'Error');
    const frames = detail.exceptions[0]!.frames.filter((fr) => fr.path !== null);
    assert.ok(frames.length >= 2);
    assert.equal(await page.locator('.sl-frame-link').count(), frames.length);
    const before = (await view.calls()).length;
    await page.locator('.sl-frame-link').nth(1).click();
    assert.deepEqual((await view.calls()).slice(before), [{ action: 'openFrame', args: [frames[1]!.path, frames[1]!.line, frames[1]!.column] }]);
    assert.equal(await page.locator('[data-field=event-name]').first().innerText(), 'exception');
    assert.match(await page.locator('[data-field=offset]').first().innerText(), /^\+\d+ ms$/);
  });

  it('offers "Go to code" for a located span, says how sure the location is, and opens it', async () => {
    const detail = fixtureDetail('genai-semconv', 'tools', 0);
    const source = { path: '/work/app/src/agent.ts', line: 42, column: 7, function: 'answer', method: 'text' as const, confidence: 0.7, inherited: false };
    await view.render({ ...detail, source });
    const link = view.page.locator('.sl-header [data-field=source]');
    assert.equal(await link.innerText(), 'Go to code: agent.ts:42 (likely)');
    const before = (await view.calls()).length;
    await link.click();
    assert.deepEqual((await view.calls()).slice(before), [{ action: 'openFrame', args: ['/work/app/src/agent.ts', 42, 7] }]);
    await view.render({ ...detail, source: { ...source, method: 'attribute', confidence: 1 } });
    assert.equal(await link.innerText(), 'Go to code: agent.ts:42');
    await view.render({ ...detail, source: null });
    assert.equal(await link.count(), 0);
  });

  it('cuts a long message to its head with a "Show all" button that brings the rest', async () => {
    const detail = fixtureDetail('mlflow', 'tools', 3);
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`);
    const text = lines.join('\n');
    detail.llm!.input[0]!.content = text;
    await view.render(detail);
    const user = view.page.locator('.sl-msg[data-role=user]');
    const head = lines.slice(0, 80).join('\n').length;
    assert.equal(squash(await user.locator('.sl-truncated-note').innerText()), `Showing ${head} of ${text.length.toLocaleString('en-US')} characters, 200 lines.`);
    assert.ok((await user.innerText()).includes('line 80'));
    assert.ok(!(await user.innerText()).includes('line 81'));
    await user.locator('.sl-show-all').click();
    assert.ok((await user.innerText()).includes('line 200'));
    assert.equal(await user.locator('.sl-truncated-note').count(), 0);
  });

  it('renders Markdown in messages, with a switch to the text as written', async () => {
    const detail = fixtureDetail('mlflow', 'tools', 3);
    detail.llm!.output[0]!.content = '**Sunny**, see [the forecast](https://example.com/paris) and `code`.\n\n| a | b |\n|--:|:-:|\n| 1 | 2 |';
    await view.render(detail);
    const answer = view.page.locator('.sl-divider ~ .sl-msg');
    assert.equal(await answer.locator('.sl-md strong').innerText(), 'Sunny');
    assert.equal(await answer.locator('.sl-md a').getAttribute('href'), 'https://example.com/paris');
    assert.equal(await answer.locator('.sl-md a').getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await answer.locator('.sl-md td.sl-align-right').innerText(), '1');
    await answer.locator('.sl-raw-toggle').click();
    assert.equal(await answer.locator('.sl-md').count(), 0);
    assert.ok((await answer.locator('pre').innerText()).startsWith('**Sunny**'));
    assert.deepEqual(await view.violations(), [], 'no style attribute from table alignment');
  });

  it('shows why a detail could not be loaded', async () => {
    await view.renderError('<b>Span not found</b>');
    assert.equal(await view.page.locator('.sl-detail-failed').innerText(), '<b>Span not found</b>');
  });
});

// --- A hostile span -----------------------------------------------------------------------------

const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror="window.__pwned=1">';
const JS_LINK = '[click](javascript:window.__pwned=1)';
const CMD_LINK = '[cmd](command:workbench.action.quit)';
const REMOTE_IMAGE = '![x](https://example.invalid/x.png)';
const IFRAME = '<iframe src="https://example.invalid/frame" srcdoc="<script>parent.__pwned=1</script>"></iframe>';
const MORE = [
  '<a href="javascript:window.__pwned=1">raw link</a>',
  '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)',
  '[vb](vbscript:msgbox)',
  '[file](file:///etc/passwd)',
  '<javascript:window.__pwned=1>',
  '[JS](JAVASCRIPT:window.__pwned=1)',
  '![y](data:image/png;base64,iVBORw0KGgo=)',
  '<svg onload="window.__pwned=1"></svg>',
  '<style>body{background:url(https://example.invalid/bg.png)}</style>',
  '<object data="https://example.invalid/o"></object><embed src="https://example.invalid/e">',
  '[safe](https://example.com/ok) and [mail](mailto:someone@example.com)',
];
const HOSTILE = [SCRIPT, IMG, JS_LINK, CMD_LINK, REMOTE_IMAGE, IFRAME, ...MORE].join('\n\n');
/** One line of 1 MB, itself a run of image tags. */
const HUGE = IMG.repeat(Math.ceil((1024 * 1024) / IMG.length)).slice(0, 1024 * 1024);

function hostileDetail(): SpanDetail {
  const attrs = [
    { key: SCRIPT, value: HOSTILE },
    { key: IMG, value: IFRAME },
    { key: 'huge', value: HUGE },
    { key: JS_LINK, value: `{"x": "${IMG}"}` },
  ];
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    name: SCRIPT + IMG,
    service: IFRAME,
    kind: 'llm',
    status: { code: 'error', message: HOSTILE },
    startTimeUnixNano: '1767225600000000000',
    durationMs: 12,
    attributes: attrs,
    resource: attrs,
    scope: { name: IMG, version: SCRIPT },
    events: [{ name: SCRIPT + IMG, offsetMs: 3, attributes: attrs }],
    exceptions: [{
      type: SCRIPT,
      message: IMG,
      frames: [
        { text: `    at ${SCRIPT} (${IMG}:1:2)`, path: IMG, line: 1, column: 2 },
        { text: IFRAME, path: 'javascript:window.__pwned=1', line: null, column: null },
        { text: HUGE, path: null, line: null, column: null },
      ],
    }],
    llm: {
      provider: SCRIPT,
      requestModel: IMG,
      responseModel: IFRAME,
      params: { [SCRIPT]: IMG, temperature: 0.2 },
      system: HOSTILE,
      input: [
        { role: SCRIPT, content: HOSTILE, toolCalls: [], toolCallId: null },
        { role: 'user', content: HUGE, toolCalls: [], toolCallId: null },
        { role: 'assistant', content: HOSTILE, toolCalls: [{ id: SCRIPT, name: IMG, arguments: HOSTILE }, { id: 'call_1', name: 'f', arguments: `{"html": ${JSON.stringify(HOSTILE)}}` }], toolCallId: null },
        { role: 'tool', content: HOSTILE, toolCalls: [], toolCallId: SCRIPT },
        { role: 'tool', content: HUGE, toolCalls: [], toolCallId: IMG },
      ],
      output: [{ role: 'assistant', content: HOSTILE, toolCalls: [{ id: IFRAME, name: JS_LINK, arguments: HUGE }], toolCallId: null }],
      finishReasons: [SCRIPT],
      tools: [IMG, CMD_LINK],
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null },
      costUsd: 0.001,
      latencyMs: 12,
      ttftMs: 5,
      error: IFRAME,
      contentMissing: HOSTILE,
      convention: SCRIPT,
    },
    tool: { name: SCRIPT, callId: IMG, arguments: HOSTILE, result: HUGE },
  };
}

/** Renders the hostile span, opens every "Show all" and flips every message to raw and back, so every path runs. */
async function renderHostile(page: DetailPage): Promise<void> {
  await page.render(hostileDetail());
  const { page: p } = page;
  assert.ok(await p.locator('.sl-show-all').count() >= 5, 'the 1 MB payloads are cut');
  assert.ok((await p.locator('[data-section=transcript]').innerText()).length < 200_000, 'the transcript shows heads only');
  // Each click replaces its own box, so click the first one until none is left.
  for (let n = await p.locator('.sl-show-all').count(); n > 0; n--) await p.locator('.sl-show-all').first().click();
  assert.equal(await p.locator('.sl-show-all').count(), 0);
  const toggles = p.locator('.sl-raw-toggle');
  for (let i = 0; i < (await toggles.count()); i++) {
    await toggles.nth(i).click();
    await toggles.nth(i).click();
  }
  // Give an onerror or a srcdoc frame the time to fire.
  await p.waitForTimeout(300);
}

async function assertNothingEscaped(page: DetailPage): Promise<void> {
  const { page: p } = page;
  assert.equal(await page.pwned(), undefined, 'no payload ran');
  assert.deepEqual(page.requests, OWN_FILES, 'no request beyond the page’s own files');
  for (const tag of ['script', 'img', 'iframe', 'object', 'embed', 'svg', 'style', 'link']) {
    assert.equal(await p.locator(`#root ${tag}`).count(), 0, `no <${tag}> in the pane`);
  }
  const anchors = await p.locator('#root a').evaluateAll((els) => els.map((e) => ({ href: e.getAttribute('href'), rel: e.getAttribute('rel') })));
  assert.ok(anchors.length > 0, 'safe links are still links');
  for (const a of anchors) {
    assert.match(a.href ?? '', /^(https?:\/\/|mailto:)/, `link ${a.href}`);
    assert.equal(a.rel, 'noopener noreferrer');
  }
  assert.ok(anchors.some((a) => a.href === 'https://example.com/ok'));
  assert.ok(anchors.some((a) => a.href === 'mailto:someone@example.com'));
  const handlers = await p.locator('#root *').evaluateAll((els) => els.flatMap((e) => e.getAttributeNames().filter((n: string) => n.startsWith('on') || n === 'style' || n === 'srcdoc')));
  assert.deepEqual(handlers, [], 'no event handler or style attribute');
  // The payloads are shown, as text.
  const text = await p.locator('[data-section=transcript]').innerText();
  assert.ok(text.includes(SCRIPT));
  assert.ok(text.includes(CMD_LINK), 'a command: link stays plain text');
  assert.ok(text.includes(JS_LINK), 'a javascript: link stays plain text');
  assert.ok(text.includes('[image: x] https://example.invalid/x.png'), 'a remote image is its alt text and URL');
  assert.ok(text.length > 3 * 1024 * 1024, 'after "Show all" the 1 MB payloads are whole');
  assert.deepEqual(page.consoleErrors, []);
}

describe('detail pane: a hostile span', () => {
  it('under the webview CSP: nothing runs, loads or links out, and the CSP is never even hit', async () => {
    const page = await openDetailPage(browser, bundle);
    try {
      await renderHostile(page);
      await assertNothingEscaped(page);
      assert.deepEqual(await page.violations(), []);
    } finally {
      await page.close();
    }
  });

  it('with no CSP at all: the pane alone keeps the payloads inert', async () => {
    const page = await openDetailPage(browser, bundle, null);
    try {
      await renderHostile(page);
      await assertNothingEscaped(page);
    } finally {
      await page.close();
    }
  });

  it('frame buttons pass the path as data, whatever it holds', async () => {
    const page = await openDetailPage(browser, bundle, null);
    try {
      await page.render(hostileDetail());
      await page.page.locator('.sl-frame-link').nth(1).click();
      assert.deepEqual(await page.calls(), [{ action: 'openFrame', args: ['javascript:window.__pwned=1', null, null] }]);
      assert.equal(await page.pwned(), undefined);
    } finally {
      await page.close();
    }
  });
});
