// Trace text is untrusted (issue 7): the hostile corpus (test/fixtures/hostile), sent to the
// receiver by the real OpenTelemetry SDK with its call placed on a line of a workspace file, shows
// in the Runs & Traces tree, the CodeLens, the hover and the diff documents as inert text: no
// command link, no HTML, one bounded line where a line is expected, and nothing it names runs.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { HOSTILE } from '../../../fixtures/hostile/corpus';
import { type HostileTrace, sendHostileTrace } from '../../../fixtures/hostile/trace';
import { receiverPort, waitFor, waitForActivation } from '../support/spanlens';

const CALL_LINE = 3;
const SOURCE = ['// Spanlens hostile e2e: the LLM call is on line 3.', 'export async function ask(client: any) {', '  return client.chat.completions.create({ model: "x", messages: [] });', '}', ''].join('\n');
type PathItem = { label: string; description: string; tooltip: string };

// The most permissive Markdown: anything our escaping lets through becomes a tag or a link here.
const md = new MarkdownIt({ html: true, linkify: true });
md.validateLink = () => true;
const SAFE_TAGS = new Set(['p', 'strong', 'em', 'ul', 'li', 'code', 'pre', 'br', 'hr']);

function assertInertMarkdown(markdown: string, where: string): void {
  const html = md.render(markdown);
  const unsafe = [...new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()))].filter((t) => !SAFE_TAGS.has(t));
  assert.deepEqual(unsafe, [], `${where}: Markdown made ${unsafe.join(', ')}`);
  assert.doesNotMatch(html, /<[a-zA-Z][^>]*\s(href|src|style|on\w+)\s*=/i, `${where}: an attribute that links, loads or runs`);
}

// eslint-disable-next-line no-control-regex
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;

function assertOneLine(text: string, max: number, where: string): void {
  assert.doesNotMatch(text, NOT_ONE_LINE, `${where}: ${JSON.stringify(text.slice(0, 200))}`);
  assert.ok(text.length <= max, `${where}: ${text.length} characters`);
}

async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return all.filter((l) => l.command?.command === 'spanlens.openCallSite');
}

function reveal(traceId: string, spanId?: string): Thenable<PathItem[] | undefined> {
  return vscode.commands.executeCommand<PathItem[] | undefined>('spanlens.revealSpan', traceId, spanId, { show: true });
}

describe('Spanlens with hostile trace text', function () {
  this.timeout(120_000);
  let uri = vscode.Uri.file('/');
  let previous: HostileTrace | undefined;
  let latest: HostileTrace | undefined;
  let terminalsBefore = 0;
  const sent = (): { previous: HostileTrace; latest: HostileTrace } => {
    assert.ok(previous && latest, 'the hostile traces were not sent');
    return { previous, latest };
  };

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('spanlens.clearAll');
  });

  it('receives the hostile trace (10 MB line, 100k name) twice and puts its call on the workspace line', async () => {
    await waitForActivation();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the suite needs a workspace folder');
    const file = path.join(root, 'hostile-e2e', 'agent.ts');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, SOURCE);
    uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('spanlens.clearAll');
    terminalsBefore = vscode.window.terminals.length;
    await vscode.window.showTextDocument(uri);
    const port = await receiverPort({ restart: true });
    previous = await sendHostileTrace(port, { code: { file, line: CALL_LINE }, runId: 'hostile-run-1', small: true });
    latest = await sendHostileTrace(port, { code: { file, line: CALL_LINE }, runId: 'hostile-run-2' });
    await waitFor('the lens of the latest hostile call', async () => (await lenses(uri)).some((l) => l.command!.arguments?.[0]?.spanId === latest!.llm), 60_000);
  });

  it('titles the CodeLens with one bounded line, icons escaped', async () => {
    const [lens] = await lenses(uri);
    const title = lens!.command!.title;
    assertOneLine(title, 161, 'CodeLens title');
    assert.doesNotMatch(title, /(?<!\\)\$\([A-Za-z0-9-]+(?:~[A-Za-z0-9-]*)?\)/, `an icon would be drawn: ${title}`);
    assert.match(title, /in last run/);
    assert.deepEqual(lens!.command!.arguments, [{ traceId: sent().latest.traceId, spanId: sent().latest.llm }]);
  });

  it('hovers with untrusted Markdown for the trace text and only our two command links, quickly', async () => {
    const t0 = Date.now();
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(CALL_LINE - 1, 4))) ?? [];
    const took = Date.now() - t0;
    assert.ok(took < 5_000, `the hover took ${took} ms`);
    const text = (c: vscode.MarkdownString | vscode.MarkedString): string => (typeof c === 'string' ? c : c.value);
    const ours = hovers.find((h) => h.contents.length > 0 && text(h.contents[0]!).startsWith('**Spanlens**'));
    assert.ok(ours, `our hover: ${hovers.map((h) => h.contents.map(text).join(' | ').slice(0, 200)).join(' || ')}`);
    assert.equal(ours.contents.length, 2, 'two parts: the trace text and the links');
    assert.ok(ours.contents.every((c) => c instanceof vscode.MarkdownString));
    const [content, links] = ours.contents as vscode.MarkdownString[];
    assert.equal(content!.isTrusted, false, 'the trace text is not trusted');
    assert.equal(content!.supportHtml, false, 'the trace text renders no HTML');
    assert.equal(content!.supportThemeIcons, false, 'the trace text draws no $(icon)');
    assert.ok(content!.value.includes('[U+202E]'), 'bidi overrides are shown');
    assertInertMarkdown(content!.value, 'hover content');
    assert.doesNotMatch(content!.value, /\u001b/, 'no terminal escapes');
    assert.match(links!.value, /^\[Open in timeline\]\(command:spanlens\.openTimeline\?[%\w.-]+\) · \[Compare with previous run\]\(command:spanlens\.compareWithPrevious\?[%\w.-]+\)$/);
    assert.deepEqual(links!.isTrusted, { enabledCommands: ['spanlens.openTimeline', 'spanlens.compareWithPrevious'] }, 'the links part runs only our two commands');
  });

  it('shows every span in the tree as bounded single lines with inert tooltips', async () => {
    const { latest: t } = sent();
    const spans = [t.root, t.llm, t.tool, t.failed, t.long!, ...Object.values(t.named)];
    for (const spanId of spans) {
      let found: PathItem[] | undefined;
      await waitFor(`span ${spanId} in the tree`, async () => (found = await reveal(t.traceId, spanId)) !== undefined, 20_000);
      for (const [i, item] of found!.entries()) {
        assertOneLine(item.label, 205, `label ${i} of ${spanId}`);
        assertOneLine(item.description, 300, `description ${i} of ${spanId}`);
        assert.ok(item.tooltip.length < 4_000, `tooltip of ${spanId}: ${item.tooltip.length} characters`);
        assertInertMarkdown(item.tooltip, `tooltip ${i} of ${spanId}`);
      }
    }
    const named = await reveal(t.traceId, t.named['bidi-override']);
    assert.ok(named!.at(-1)!.label.includes('[U+202E]'), named!.at(-1)!.label);
  });

  it('opens the diff of the two calls as plain text, with no command link in it', async () => {
    const { previous: p, latest: l } = sent();
    const refs = await vscode.commands.executeCommand<{ previous: unknown; latest: unknown } | undefined>('spanlens.compareWithPrevious', { traceId: l.traceId, spanId: l.llm });
    assert.deepEqual(refs, { previous: { traceId: p.traceId, spanId: p.llm }, latest: { traceId: l.traceId, spanId: l.llm } });
    let input: vscode.TabInputTextDiff | undefined;
    await waitFor('the diff editor', () => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      input = tab?.input instanceof vscode.TabInputTextDiff ? tab.input : undefined;
      return input !== undefined;
    });
    for (const side of [input!.original, input!.modified]) {
      const doc = await vscode.workspace.openTextDocument(side);
      assert.equal(doc.languageId, 'plaintext', `${side.toString()} is ${doc.languageId}`);
      assert.ok(doc.getText().includes(HOSTILE[0]!.text), 'the trace text is there, as written');
      const links = (await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', side)) ?? [];
      const targets = links.map((k) => k.target?.scheme ?? '(unresolved)');
      assert.deepEqual(targets.filter((s) => s !== 'http' && s !== 'https' && s !== 'file'), [], `links in ${side.toString()}: ${targets.join(', ')}`);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('ran none of the commands the trace names', async () => {
    assert.equal(vscode.window.terminals.length, terminalsBefore, 'no terminal was opened');
    assert.ok(await reveal(sent().latest.traceId), 'spanlens.clearAll did not run: the trace is still there');
  });
});
