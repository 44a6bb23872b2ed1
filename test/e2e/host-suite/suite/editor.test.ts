// The trace next to the code, in a real extension host: a span sent by the real OpenTelemetry SDK
// with `code.file.path` and `code.line.number` puts a CodeLens, a hover and commands on that line
// of a workspace file; a second run can be compared with the first; the lens follows edits.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { receiverPort, waitFor, waitForActivation } from '../support/spanlens';

const SERVICE = 'spanlens-editor-e2e';
/** 1-based line of the call in SOURCE. */
const CALL_LINE = 6;
const SOURCE = [
  '// Spanlens editor e2e: the LLM call is on line 6.',
  "import type OpenAI from 'openai';",
  '',
  'export async function ask(client: OpenAI, question: string) {',
  '  const messages = [{ role: "user" as const, content: question }];',
  "  return client.chat.completions.create({ model: 'gpt-4o-mini', messages });",
  '}',
  '',
].join('\n');

interface Call {
  traceId: string;
  spanId: string;
}

interface RunText {
  runId: string;
  prompt: string;
  answer: string;
  outputTokens: number;
}

const RUN_1: RunText = { runId: 'editor-e2e-run-1', prompt: 'Which Pemba ferry leaves first?', answer: 'The 7:00 to Mkoani.', outputTokens: 12 };
const RUN_2: RunText = { runId: 'editor-e2e-run-2', prompt: 'Which Pemba ferry leaves first?\nAnswer in one word.', answer: 'Seven.', outputTokens: 132 };

/** One run of the app: an agent span and, under it, the chat call made at CALL_LINE of `file`. */
async function sendRun(port: number, file: string, run: RunText): Promise<Call> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE, 'spanlens.run.id': run.runId }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 5_000 }))],
  });
  const tracer = provider.getTracer('editor-e2e');
  const t0 = Date.now() - 2_000;
  const root = tracer.startSpan('editor agent', { startTime: t0 });
  const llm = tracer.startSpan('chat gpt-4o-mini', {
    startTime: t0 + 10,
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 31, 'gen_ai.usage.output_tokens': run.outputTokens,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: run.prompt }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: run.answer }], finish_reason: 'stop' }]),
      'code.file.path': file, 'code.line.number': CALL_LINE, 'code.function.name': 'ask',
    },
  }, trace.setSpan(ROOT_CONTEXT, root));
  llm.end(t0 + 1_210);
  root.end(t0 + 1_300);
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: llm.spanContext().traceId, spanId: llm.spanContext().spanId };
}

/** Our lenses on a document, resolved. */
async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return all.filter((l) => l.command?.command === 'spanlens.openCallSite');
}

async function lensWhen(what: string, uri: vscode.Uri, check: (l: vscode.CodeLens[]) => boolean): Promise<vscode.CodeLens[]> {
  let found: vscode.CodeLens[] = [];
  await waitFor(what, async () => check((found = await lenses(uri))), 15_000);
  return found;
}

async function hoverText(uri: vscode.Uri, line: number): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line - 1, 4))) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('Spanlens next to the code', () => {
  let file = '';
  let uri = vscode.Uri.file('/');
  let first: Call | undefined;
  const firstCall = (): Call => {
    assert.ok(first, 'the first run was not sent');
    return first;
  };

  after(async () => {
    // The timeline this suite opened would follow the next suites' tree selections.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('puts a CodeLens with the call summary on exactly the line that made the call', async () => {
    await waitForActivation();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the suite needs a workspace folder');
    file = path.join(root, 'editor-e2e', 'agent.ts');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, SOURCE);
    uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('spanlens.clearAll');
    await vscode.window.showTextDocument(uri);
    assert.deepEqual(await lenses(uri), [], 'no lens before any trace');

    first = await sendRun(await receiverPort({ restart: true }), file, RUN_1);
    const found = await lensWhen('the lens of the first run', uri, (l) => l.length > 0);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.range.start.line, CALL_LINE - 1);
    assert.match(found[0]!.command!.title, /^gpt-4o-mini · 1\.2 s · 43 tok · .*1 call in last run( · likely)?$/);
    assert.deepEqual(found[0]!.command!.arguments, [firstCall()]);
  });

  it('hovers the line with the prompt, the response and our command links only', async () => {
    const text = await hoverText(uri, CALL_LINE);
    assert.ok(text.includes(RUN_1.prompt), text);
    assert.ok(text.includes(RUN_1.answer), text);
    assert.ok(text.includes('command:spanlens.openTimeline?'), text);
    assert.ok(!text.includes('command:spanlens.compareWithPrevious'), 'no previous run yet');
    assert.equal(await hoverText(uri, CALL_LINE - 1), '', 'nothing on the line above');
  });

  it('goes from the span to its line of code', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await vscode.commands.executeCommand('spanlens.goToCode', firstCall()), true);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, file);
    assert.equal(editor?.selection.active.line, CALL_LINE - 1);
  });

  it('lists the calls of the cursor line and opens the chosen one in the timeline', async () => {
    const pending = vscode.commands.executeCommand<Call | undefined>('spanlens.showSpansForLine', uri, CALL_LINE);
    let picked: Call | undefined | 'waiting' = 'waiting';
    void pending.then((p) => (picked = p));
    await waitFor('the quick pick to take the call', async () => {
      if (picked === 'waiting') await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return picked !== 'waiting';
    });
    assert.deepEqual(picked, firstCall());
  });

  it('compares the latest run’s call with the previous run’s in a diff editor', async () => {
    const second = await sendRun(await receiverPort({ restart: true }), file, RUN_2);
    await lensWhen('the lens of the second run', uri, (l) => l[0]?.command?.title.includes('163 tok') === true);
    const text = await hoverText(uri, CALL_LINE);
    assert.ok(text.includes(RUN_2.answer), text);
    assert.ok(text.includes('command:spanlens.compareWithPrevious?'), text);
    assert.match(text, /prompt \+1 \S*0 lines, response changed, \+120 tok/);

    const refs = await vscode.commands.executeCommand<{ previous: Call; latest: Call } | undefined>('spanlens.compareWithPrevious', second);
    assert.deepEqual(refs, { previous: firstCall(), latest: second });
    let input: vscode.TabInputTextDiff | undefined;
    await waitFor('the diff editor', () => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      input = tab?.input instanceof vscode.TabInputTextDiff ? tab.input : undefined;
      return input !== undefined;
    });
    assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, `Spanlens: previous ↔ latest (agent.ts:${CALL_LINE})`);
    const [left, right] = await Promise.all([vscode.workspace.openTextDocument(input!.original), vscode.workspace.openTextDocument(input!.modified)]);
    assert.ok(left.getText().includes(RUN_1.answer) && !left.getText().includes(RUN_2.answer), left.getText());
    assert.ok(right.getText().includes(RUN_2.answer) && right.getText().includes('Answer in one word.'), right.getText());
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('moves the lens down when lines are inserted above the call', async () => {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const insert = async (): Promise<void> => {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, new vscode.Position(2, 0), '// one\n// two\n// three\n');
      assert.equal(await vscode.workspace.applyEdit(edit), true);
    };
    await insert();
    const moved = await lensWhen('the lens to move down three lines', uri, (l) => l[0]?.range.start.line === CALL_LINE - 1 + 3);
    assert.equal(moved.length, 1);
    assert.ok((await hoverText(uri, CALL_LINE + 3)).includes(RUN_2.answer));

    await vscode.commands.executeCommand('workbench.action.files.revert');
    await lensWhen('the lens to return with the reverted text', uri, (l) => l.length === 1 && l[0]!.range.start.line === CALL_LINE - 1);
    await insert();
    await lensWhen('the lens to move down again', uri, (l) => l[0]?.range.start.line === CALL_LINE - 1 + 3);

    const del = new vscode.WorkspaceEdit();
    del.delete(uri, new vscode.Range(CALL_LINE + 2, 0, CALL_LINE + 3, 0));
    assert.equal(await vscode.workspace.applyEdit(del), true);
    await lensWhen('the lens to go with its deleted line', uri, (l) => l.length === 0);
    await doc.save();
  });
});
