// "Run and trace" in a real extension host: the palette command runs the Python example of the
// workspace in a terminal with the receiver as its endpoint; when it ends the run's traces are in
// the tree and a CodeLens sits on the call's line. A launch configuration with `"spanlens": true`
// gets the traced environment (F5 traces too).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { REPO_ENV } from '../report';
import { receiverPort, waitFor, waitForActivation } from '../support/spanlens';

/** What the run commands resolve to (src/vscode/runCommands.ts). */
interface RunOutcome {
  runId: string;
  exitCode: number | undefined;
  traceIds: string[];
  spans: number;
  llmCalls: number;
}

function workspaceRoot(): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the suite needs a workspace folder');
  return root;
}

function lineOf(file: string, marker: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  assert.ok(index >= 0, `${marker} is not in ${file}`);
  return index + 1;
}

describe('Run and trace', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runs the Python example from the palette command and shows its run in the tree', async function () {
    this.timeout(90_000);
    await waitForActivation();
    const app = path.join(workspaceRoot(), 'python-openai', 'app.py');
    assert.ok(existsSync(app), `the workspace has no ${app}`);
    await vscode.commands.executeCommand('spanlens.clearAll');
    const uri = vscode.Uri.file(app);
    await vscode.window.showTextDocument(uri);

    const outcome = await vscode.commands.executeCommand<RunOutcome | undefined>('spanlens.runCurrentFile', uri);
    assert.ok(outcome, 'the run did not start');
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.traceIds.length, 1);
    assert.equal(outcome.spans, 7);
    assert.equal(outcome.llmCalls, 6);
    assert.match(outcome.runId, /^run-/);

    const pathInTree = await vscode.commands.executeCommand<{ label: string; description: string }[] | undefined>(
      'spanlens.revealSpan', outcome.traceIds[0], undefined, { show: true },
    );
    assert.ok(pathInTree && pathInTree.length >= 2, `the run's trace is not in the tree: ${JSON.stringify(pathInTree)}`);
    assert.ok(pathInTree.some((p) => p.label.includes('python-openai example')), JSON.stringify(pathInTree));

    const callLine = lineOf(app, '# plain call');
    let lines: number[] = [];
    await waitFor('a CodeLens on the plain call line', async () => {
      const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
      lines = all.filter((l) => l.command?.command === 'spanlens.openCallSite').map((l) => l.range.start.line + 1);
      return lines.includes(callLine);
    }, 20_000);
    assert.ok(lines.includes(lineOf(app, '# failing call')), `lenses on ${lines.join(', ')}`);
  });

  it('runs any command line with "Run Command with Tracing…" and reports its exit code', async function () {
    this.timeout(60_000);
    const script = path.join(workspaceRoot(), 'run-e2e', 'exits.py');
    mkdirSync(path.dirname(script), { recursive: true });
    writeFileSync(script, 'import sys\nprint("exiting with 3")\nsys.exit(3)\n');
    const outcome = await vscode.commands.executeCommand<RunOutcome | undefined>('spanlens.runCommand', `python3 ${script}`);
    assert.ok(outcome, 'the run did not start');
    assert.equal(outcome.exitCode, 3);
    assert.equal(outcome.spans, 0);
  });

  it('adds the traced environment to a Node launch configuration with "spanlens": true', async function () {
    this.timeout(60_000);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const dir = path.join(workspaceRoot(), 'run-e2e');
    const program = path.join(dir, 'env.cjs');
    const out = path.join(dir, 'env.json');
    mkdirSync(dir, { recursive: true });
    writeFileSync(program, [
      "const keys = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_RESOURCE_ATTRIBUTES', 'PYTHONPATH', 'NODE_OPTIONS', 'KEPT'];",
      `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.fromEntries(keys.map((k) => [k, process.env[k]]))));`,
    ].join('\n'));
    let seen: vscode.DebugConfiguration | undefined;
    const sub = vscode.debug.onDidStartDebugSession((s) => (seen ??= s.configuration));
    try {
      const started = await vscode.debug.startDebugging(folder, {
        type: 'node', request: 'launch', name: 'spanlens e2e traced', program, spanlens: true, env: { KEPT: 'yes' }, console: 'internalConsole',
      });
      assert.equal(started, true, 'the debug session did not start');
      await waitFor('the debug session to start', () => seen !== undefined, 20_000);
    } finally {
      sub.dispose();
    }
    const env = (seen?.env ?? {}) as Record<string, string>;
    const port = await receiverPort();
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, `http://127.0.0.1:${port}`);
    assert.match(env.OTEL_RESOURCE_ATTRIBUTES ?? '', /spanlens\.run\.id=run-/);
    assert.match(env.PYTHONPATH ?? '', /runtime[\\/]python/);
    assert.equal(env.KEPT, 'yes', 'the launch configuration keeps its own env');
    await waitFor('the debugged program to write its environment', () => existsSync(out), 20_000);
    const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string | undefined>;
    assert.equal(written.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.equal(written.KEPT, 'yes');
  });
  it('traces a program debugged with F5 ("spanlens": true): its OpenAI call gets a CodeLens on its line', async function () {
    this.timeout(90_000);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const repo = process.env[REPO_ENV];
    assert.ok(repo, `${REPO_ENV} is not set: the session passes the checkout for its node_modules`);
    const dir = path.join(workspaceRoot(), 'run-e2e');
    const program = path.join(dir, 'debugged.cjs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(program, [
      "const path = require('node:path');",
      "const { pathToFileURL } = require('node:url');",
      `const OpenAI = require(${JSON.stringify(path.join(repo, 'node_modules', 'openai'))});`,
      'async function main() {',
      `  const { startStandIn } = await import(pathToFileURL(${JSON.stringify(path.join(workspaceRoot(), 'node-openai', 'standIn.mjs'))}).href);`,
      '  const standIn = await startStandIn();',
      "  const client = new OpenAI({ apiKey: 'stand-in', baseURL: standIn.baseURL, maxRetries: 0 });",
      "  const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello from F5' }] }); // F5 call",
      '  console.log(answer.choices[0].message.content);',
      '  await standIn.close();',
      '}',
      'main();',
    ].join('\n'));
    const ended = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession(() => {
        sub.dispose();
        resolve();
      });
    });
    const started = await vscode.debug.startDebugging(folder, {
      type: 'node', request: 'launch', name: 'spanlens e2e F5 call', program, spanlens: true, console: 'internalConsole',
    });
    assert.equal(started, true, 'the debug session did not start');
    await ended;

    const uri = vscode.Uri.file(program);
    await vscode.window.showTextDocument(uri);
    const callLine = lineOf(program, '// F5 call');
    let lines: number[] = [];
    await waitFor('a CodeLens on the debugged program\'s call line', async () => {
      const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
      lines = all.filter((l) => l.command?.command === 'spanlens.openCallSite').map((l) => l.range.start.line + 1);
      return lines.includes(callLine);
    }, 30_000);
    assert.deepEqual(lines, [callLine]);
  });
});
