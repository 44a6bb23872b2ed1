/**
 * The hostile corpus (test/fixtures/hostile) through every text builder of VS Code's own surfaces:
 * tree labels, descriptions and tooltips, CodeLens titles, hover Markdown, end-of-line text, quick
 * pick items, diff documents. Markdown is rendered with markdown-it in its most permissive setup
 * (raw HTML on, every link scheme allowed) so that only our escaping stands between a payload and
 * a live link; one-line text is checked for line breaks, controls, escapes and invisible
 * characters, and for its length; and each builder is timed on the 10 MB line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import type { CallSite, LocatedCall } from '../../src/core/source/callSites.js';
import { decodeTraces } from '../../src/core/otlp/decode.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/core/otlp/limits.js';
import type { RunSummary, TraceSummary } from '../../src/core/store/spanTables.js';
import { CALL_TEXT_MAX, codeFence, inlineText, trimText } from '../../src/core/views/callText.js';
import {
  DECORATION_MAX, HOVER_COMMANDS, LENS_TITLE_MAX, PICK_TEXT_MAX, callDocumentText, callPickItem, decorationText, hoverParts, lensTitle,
} from '../../src/core/views/editorText.js';
import { escapeIcons, safeBlock, safeLine, stripAnsi } from '../../src/core/views/safeText.js';
import { traceBundle } from '../../src/core/views/traceView.js';
import { escapeMarkdown, filterDescription, oneLine, runLabel, runTooltip, spanDescription, spanTooltip, traceLabel, traceTooltip } from '../../src/core/views/treeModel.js';
import type { LlmCall } from '../../src/shared/llm.js';
import type { SpanDetail, TimelineSpan } from '../../src/shared/traceView.js';
import { HOSTILE, HOSTILE_ALL, type HostileInput, hugeLineText, longName } from '../fixtures/hostile/corpus.js';
import { hostileRequestBody } from '../fixtures/hostile/trace.js';

const root = path.resolve(__dirname, '../..');

/** Every input: the small ones, all of them at once, the 100k name and the 10 MB line. */
const ALL: HostileInput[] = [
  ...HOSTILE,
  { id: 'all', kind: 'markdown', text: HOSTILE_ALL },
  { id: 'long-name', kind: 'size', text: longName() },
  { id: 'huge-line', kind: 'size', text: hugeLineText() },
];

// The most permissive Markdown: whatever our escaping lets through becomes HTML or a link here.
const md = new MarkdownIt({ html: true, linkify: true });
md.validateLink = () => true;

/** Tags a tooltip or hover may render: text formatting only, no link, image or raw HTML. */
const SAFE_TAGS = new Set(['p', 'strong', 'em', 'ul', 'li', 'code', 'pre', 'br', 'hr']);

function assertInertMarkdown(markdown: string, where: string): void {
  const html = md.render(markdown);
  const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
  const unsafe = [...tags].filter((t) => !SAFE_TAGS.has(t));
  assert.deepEqual(unsafe, [], `${where}: Markdown made ${unsafe.join(', ')}:\n${html.slice(0, 2000)}`);
  assert.doesNotMatch(html, /<[a-zA-Z][^>]*\s(href|src|style|on\w+)\s*=/i, `${where}: an attribute that links, loads or runs`);
}

// Line breaks, C0/C1 controls, ESC, bidi controls and invisible format characters, lone surrogates.
// eslint-disable-next-line no-control-regex
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function assertOneLine(text: string, max: number, where: string): void {
  assert.doesNotMatch(text, NOT_ONE_LINE, `${where}: ${JSON.stringify(text.slice(0, 300))}`);
  assert.ok(text.length <= max, `${where}: ${text.length} characters, more than ${max}`);
}

/** `$(name)` not preceded by a backslash: VS Code would draw an icon. */
function assertNoIcons(text: string, where: string): void {
  assert.doesNotMatch(text, /(?<!\\)\$\([A-Za-z0-9-]+(?:~[A-Za-z0-9-]*)?\)/, `${where}: ${text.slice(0, 300)}`);
}

/** Runs `build` once to warm up, then times it three times; fails when even the fastest run passes `ms` (a loaded machine adds noise, not cost). */
function timed<T>(ms: number, where: string, build: () => T): T {
  let out = build();
  let best = Infinity;
  for (let i = 0; i < 3 && best >= ms; i++) {
    const t0 = performance.now();
    out = build();
    best = Math.min(best, performance.now() - t0);
  }
  assert.ok(best < ms, `${where} took ${best.toFixed(1)} ms (limit ${ms} ms)`);
  return out;
}

function timelineSpan(text: string): TimelineSpan {
  return {
    id: 'b7ad6b7169203331', parentId: null, name: text, service: text, kind: 'llm', startMs: 0, durationMs: 1200, skewMs: 3, error: true, ttftMs: 40,
    summary: text, missingParent: true, cycleCut: false,
  };
}

function traceSummary(text: string): TraceSummary {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c', name: text, service: text, spanCount: 4, errorCount: 1, startTimeUnixNano: '1700000000000000000',
    durationMs: 1234, llmCalls: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.0004, runId: text, pinned: true,
  };
}

function runSummary(text: string, explicit: boolean): RunSummary {
  return { runId: text, service: text, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000005000000000', traceCount: 2, pinned: false, explicit };
}

function llmCall(text: string): LlmCall {
  return {
    provider: text, requestModel: text, responseModel: text, params: { [text]: text }, system: text,
    input: [
      { role: text, content: text, toolCalls: [], toolCallId: null },
      { role: 'user', content: text, toolCalls: [{ id: text, name: text, arguments: text }], toolCallId: text },
    ],
    output: [{ role: 'assistant', content: text, toolCalls: [{ id: text, name: text, arguments: text }], toolCallId: null }],
    finishReasons: [text], tools: [text],
    usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, cacheReadTokens: null, cacheWriteTokens: null, reasoningTokens: null },
    costUsd: 0.001, latencyMs: 12, ttftMs: 5, error: text, contentMissing: text, convention: text,
  };
}

function detail(text: string, llm: LlmCall | null = llmCall(text)): SpanDetail {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: null, name: text, service: text, kind: 'llm',
    status: { code: 'error', message: text }, startTimeUnixNano: '1767225600000000000', durationMs: 12, attributes: [{ key: text, value: text }],
    resource: [], scope: { name: text, version: text }, events: [], exceptions: [], llm, tool: null,
  };
}

function located(text: string, spanId = 'b7ad6b7169203331'): LocatedCall {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId, runId: text, startTimeUnixNano: '1767225600000000000',
    location: { path: '/w/agent.ts', line: 6, column: null, function: text, method: 'symbol', confidence: 0.7, inherited: true },
    summary: text, name: text, error: true,
  };
}

function site(text: string): CallSite {
  const latest = located(text);
  const previous = located(text, 'c7ad6b7169203331');
  return { path: '/w/agent.ts', line: 6, latest, latestRun: [latest], previous, calls: [latest, previous] };
}

describe('hostile corpus: Runs & Traces tree', () => {
  for (const h of ALL) {
    it(`keeps ${h.id} a bounded single line in labels and inert in tooltips`, () => {
      const span = timelineSpan(h.text);
      const t = traceSummary(h.text);
      for (const [where, text] of [
        ['span label', timed(50, 'span label', () => oneLine(span.name))],
        ['span description', timed(50, 'span description', () => spanDescription(span))],
        ['trace label', timed(50, 'trace label', () => traceLabel(t))],
        ['run label', timed(50, 'run label', () => runLabel(runSummary(h.text, true)))],
        ['filter description', filterDescription({ errorsOnly: false, llmOnly: false, search: { text: h.text, traceIds: new Set() } })],
      ] as const) {
        assertOneLine(text, where === 'span description' ? 260 : 205, `${h.id}: ${where}`);
      }
      for (const [where, build] of [
        ['span tooltip', () => spanTooltip(span)],
        ['trace tooltip', () => traceTooltip(t)],
        ['run tooltip', () => runTooltip(runSummary(h.text, true))],
        ['run tooltip (implicit)', () => runTooltip(runSummary(h.text, false))],
      ] as const) {
        const tooltip = timed(50, where, build);
        assertInertMarkdown(tooltip, `${h.id}: ${where}`);
        assert.ok(tooltip.length < 2_000, `${h.id}: ${where} is ${tooltip.length} characters`);
        for (const line of tooltip.split('\n')) assertOneLine(line, 1_000, `${h.id}: ${where} line`);
      }
    });
  }
});

describe('hostile corpus: editor surfaces', () => {
  for (const h of ALL) {
    it(`keeps ${h.id} inert in the CodeLens, hover, end-of-line text, quick pick and diff document`, () => {
      const s = site(h.text);
      const d = detail(h.text);
      const title = timed(50, 'CodeLens title', () => lensTitle(s));
      assertOneLine(title, LENS_TITLE_MAX + 1, `${h.id}: CodeLens title`);
      assertNoIcons(title, `${h.id}: CodeLens title`);

      const hover = timed(50, 'hover', () => hoverParts(s, d, detail(`${h.text} before`)));
      assertInertMarkdown(hover.content, `${h.id}: hover`);
      assert.ok(hover.content.length < 12_000, `${h.id}: hover is ${hover.content.length} characters`);
      assert.doesNotMatch(hover.content, /[\u001b\u202a-\u202e\u2066-\u2069\u200b\ufeff\u0000]/, `${h.id}: escapes and invisible characters are tagged in the hover`);
      // The links part: our two commands on the call's own ids, nothing of the trace.
      const link = /^\[Open in timeline\]\(command:spanlens\.openTimeline\?[%\w.-]+\) · \[Compare with previous run\]\(command:spanlens\.compareWithPrevious\?[%\w.-]+\)$/;
      assert.match(hover.links, link);
      for (const m of hover.links.matchAll(/command:([\w.]+)\?([^)]*)\)/g)) {
        assert.ok((HOVER_COMMANDS as readonly string[]).includes(m[1]!));
        assert.deepEqual(JSON.parse(decodeURIComponent(m[2]!)), [{ traceId: s.latest.traceId, spanId: s.latest.spanId }]);
      }

      for (const d2 of [d, detail(h.text, null), { ...detail(h.text), status: { code: 'unset' as const, message: '' }, llm: { ...llmCall(h.text), error: null } }]) {
        const eol = timed(50, 'end-of-line text', () => decorationText({ ...s, latest: { ...s.latest, error: false } }, d2));
        assertOneLine(eol.text, DECORATION_MAX, `${h.id}: end-of-line text`);
      }

      const pick = timed(50, 'quick pick item', () => callPickItem(s.latest, true));
      for (const [where, text] of Object.entries(pick)) {
        assertOneLine(text, PICK_TEXT_MAX * 2 + 20, `${h.id}: quick pick ${where}`);
        assertNoIcons(where === 'label' ? text.replace(/^\$\(error\) /, '') : text, `${h.id}: quick pick ${where}`);
      }

      // The diff document keeps the trace text as written (it is plain text), its header is one line.
      // A document opened on request, and megabytes of it are shown: a looser bound than a per-render surface.
      const doc = timed(500, 'diff document', () => callDocumentText(d));
      assert.ok(doc.length < 16 * CALL_TEXT_MAX, `${h.id}: a diff document of ${doc.length} characters`);
      const [head, ids] = doc.split('\n');
      assert.ok(head!.startsWith('span ') && head!.length < 300, head);
      assert.ok(ids!.startsWith('trace 0af7651916cd43dd8448eb211c80319c · span b7ad6b7169203331'));
      assert.ok(doc.includes(h.text.slice(0, CALL_TEXT_MAX)), `${h.id}: the diff document shows the text as written`);
    });
  }

  it('escapes a fence-breaking run of backticks with a longer fence', () => {
    const text = '```` ``` `````` x';
    const fenced = codeFence(trimText(text));
    assert.ok(fenced.startsWith('```````text\n'), fenced);
    assertInertMarkdown(codeFence(trimText(`\`\`\`\n[x](command:workbench.action.quit)\n<img src=x onerror=alert(1)>`)), 'fence');
  });
});

describe('hostile corpus through real OTLP: SDK → protobuf → decode → views', () => {
  const { body, ids } = hostileRequestBody();
  const decoded = decodeTraces(body, 'protobuf');
  const bundle = traceBundle(ids.traceId, decoded.items, []);

  it('decodes every span, the 10 MB line, and the 100k name cut at the name limit with its marker', () => {
    assert.equal(decoded.rejected, 0, decoded.rejectReasons.join('; '));
    const llm = bundle.details[ids.llm]!.llm!;
    // The decoder may cut a value past its limit (src/core/otlp/limits.ts): at least the first megabyte arrives.
    assert.ok(llm.input.some((m) => m.content.includes(hugeLineText().slice(200, 1024 * 1024))), 'the 10 MB line reached the prompt');
    // Names are cut past DEFAULT_DECODE_LIMITS.maxNameBytes, keeping their start, and say by how much.
    const name = bundle.view.spans.find((s) => s.id === ids.long)!.name;
    const limit = DEFAULT_DECODE_LIMITS.maxNameBytes;
    assert.ok(name.startsWith(longName().slice(0, limit - 8)), name.slice(0, 200));
    assert.ok(name.endsWith(`…[truncated ${Buffer.byteLength(longName()) - limit} of ${Buffer.byteLength(longName())} bytes]`), name.slice(-80));
    assert.equal(bundle.view.spans.length, 5 + HOSTILE.length);
  });

  it('every span is a bounded single line in the tree and inert in its tooltip, each within 50 ms', () => {
    for (const s of bundle.view.spans) {
      assertOneLine(timed(50, 'label', () => oneLine(s.name)), 200, `label of ${s.id}`);
      assertOneLine(spanDescription(s), 260, `description of ${s.id}`);
      assertInertMarkdown(timed(50, 'tooltip', () => spanTooltip(s)), `tooltip of ${s.id}`);
    }
    const t = traceSummary(bundle.view.name);
    assertOneLine(traceLabel(t), 200, 'trace label');
    assertInertMarkdown(traceTooltip({ ...t, service: bundle.view.spans[0]!.service }), 'trace tooltip');
  });

  it('the LLM call is inert in its CodeLens, hover and end-of-line text', () => {
    const row = bundle.view.spans.find((s) => s.id === ids.llm)!;
    const call: LocatedCall = { ...located(''), traceId: ids.traceId, spanId: ids.llm, summary: row.summary, name: row.name, error: false };
    const s: CallSite = { path: '/w/agent.ts', line: 6, latest: call, latestRun: [call], previous: null, calls: [call] };
    const d = bundle.details[ids.llm]!;
    const title = timed(50, 'CodeLens', () => lensTitle(s));
    assertOneLine(title, LENS_TITLE_MAX + 1, 'CodeLens title');
    assertNoIcons(title, 'CodeLens title');
    assert.match(title, /\\\$\(account\)/, 'the model name’s icon is escaped');
    const hover = timed(50, 'hover', () => hoverParts(s, d, undefined));
    assertInertMarkdown(hover.content, 'hover');
    assert.doesNotMatch(hover.links, /compareWithPrevious/);
    assertOneLine(timed(50, 'end-of-line text', () => decorationText(s, d)).text, DECORATION_MAX, 'end-of-line text');
    const failed = bundle.details[ids.failed]!;
    assertOneLine(decorationText({ ...s, latest: { ...call, error: true } }, failed).text, DECORATION_MAX, 'failed end-of-line text');
  });
});

describe('safe text rules', () => {
  it('removes terminal escapes, OSC 8 links included, and keeps their visible text', () => {
    assert.equal(stripAnsi('\u001b[31mred\u001b[0m'), 'red');
    assert.equal(stripAnsi('\u001b]8;;command:workbench.action.terminal.new\u0007click\u001b]8;;\u0007'), 'click');
    assert.equal(stripAnsi('\u001b]8;;https://x.invalid/\u001b\\st\u001b]8;;\u001b\\'), 'st');
    assert.equal(safeLine('\u001b]0;title\u0007after'), 'after');
    assert.equal(safeLine('\u001b]unterminated text'), 'unterminated text', 'an unterminated OSC hides nothing');
  });

  it('shows bidi controls and invisible characters as [U+XXXX]', () => {
    assert.equal(safeLine('access\u202e level\u202c ok'), 'access[U+202E] level[U+202C] ok');
    assert.equal(safeLine('gpt\u200b-4o\ufeff'), 'gpt[U+200B]-4o[U+FEFF]');
    assert.equal(safeBlock('a\u2066b\nc\u0000d'), 'a[U+2066]b\nc[U+0000]d');
    assert.equal(inlineText('a\nb\r\tc\u202eevil\u2066d\u0007'), 'a b c[U+202E]evil[U+2066]d');
  });

  it('makes line breaks one space in a line and \\n in a block; lone surrogates U+FFFD', () => {
    assert.equal(safeLine('one\ntwo\rthree\r\nfour\u2028five\u2029six'), 'one two three four five six');
    assert.equal(safeBlock('one\rtwo\r\nthree\u2028four'), 'one\ntwo\nthree\nfour');
    assert.equal(safeLine('a\ud800b\udc00c\ud83d\ude00'), 'a\ufffdb\ufffdc\ud83d\ude00');
  });

  it('cuts without splitting a surrogate pair, and says so', () => {
    const cut = safeLine('😀'.repeat(300), 11);
    assert.ok(cut.endsWith('…') && cut.length <= 11);
    assert.doesNotMatch(cut, NOT_ONE_LINE);
    assert.equal(safeBlock('x'.repeat(10), 6, 5), 'xxxxx\n…');
  });

  it('escapes $(icon) the way VS Code does, leaving escaped ones alone', () => {
    assert.equal(escapeIcons('$(zap) and $(loading~spin) but \\$(x) and $(not an icon)'), '\\$(zap) and \\$(loading~spin) but \\$(x) and $(not an icon)');
  });

  it('escapes Markdown so that no link, image or HTML survives, as the tree does', () => {
    for (const h of HOSTILE) assertInertMarkdown(`- ${escapeMarkdown(h.text)}`, h.id);
  });

  it('looks at a bounded head of the text: 10 MB costs what 4 KB does', () => {
    const huge = hugeLineText();
    timed(20, 'safeLine on 10 MB', () => safeLine(huge));
    timed(20, 'safeBlock on 10 MB', () => safeBlock(huge));
  });
});

describe('the VS Code adapters', () => {
  it('build every MarkdownString untrusted and without HTML, but the hover links part', () => {
    const files = ['hover.ts', 'traceTree.ts', 'codeLens.ts', 'decorations.ts', 'diffProvider.ts', 'sourceCommands.ts', 'treeCommands.ts', 'callSiteService.ts'];
    for (const f of files) {
      const src = readFileSync(path.join(root, 'src/vscode', f), 'utf8');
      assert.doesNotMatch(src, /isTrusted\s*=\s*true|supportHtml\s*=\s*true|supportThemeIcons\s*=\s*true/, `${f} trusts Markdown`);
      const built = [...src.matchAll(/new vscode\.MarkdownString\(([^)]*)\)/g)].map((m) => m[1]!);
      for (const args of built) assert.match(args, /, false$/, `${f}: new MarkdownString(${args}) must pass supportThemeIcons false`);
    }
    const hover = readFileSync(path.join(root, 'src/vscode/hover.ts'), 'utf8');
    assert.equal([...hover.matchAll(/isTrusted = \{ enabledCommands: \[\.\.\.HOVER_COMMANDS\] \}/g)].length, 1, 'only the links part enables commands');
    assert.match(hover, /untrustedMarkdown\(parts\.content\)/, 'the trace text goes in the untrusted part');
    const tree = readFileSync(path.join(root, 'src/vscode/traceTree.ts'), 'utf8');
    assert.match(tree, /md\.isTrusted = false;\n\s*md\.supportHtml = false;/);
    const diff = readFileSync(path.join(root, 'src/vscode/diffProvider.ts'), 'utf8');
    assert.match(diff, /\/call\/\$\{call\.traceId\}\/\$\{call\.spanId\}\.txt`/, 'call documents are plain text, not Markdown');
  });
});
