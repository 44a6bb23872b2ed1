/**
 * "Spanlens: Run Current File with Tracing" and "Spanlens: Run Command with Tracing…": the program
 * runs in a terminal with the receiver as its endpoint and a run id of its own; the status bar
 * shows it while it runs, and when it ends a message gives its exit status and what it sent,
 * the tree shows the run and (if the setting says so) the timeline opens.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { runConfig } from './config.js';
import { registerDebugTracing } from './debugConfig.js';
import { userMessage } from './errors.js';
import type { ReceiverService } from './receiverService.js';
import { RunError, changedVariables, receiverEndpoint, runEnvironment, targetFor } from './runTargets.js';
import { type RunLine, runInTerminal } from './runTerminal.js';

/** What a finished run sent; the commands resolve to it (tests read it). */
export interface RunOutcome {
  runId: string;
  exitCode: number | undefined;
  /** The run's traces, newest first. */
  traceIds: string[];
  spans: number;
  llmCalls: number;
}

const LAST_COMMAND_KEY = 'spanlens.run.lastCommand';
/** How long spans may keep arriving after the program ended (the exporters' batch delay is 200 ms). */
const SETTLE_MS = { quiet: 700, max: 5_000 };

class RunController implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('spanlens.run', vscode.StatusBarAlignment.Left, -1);
  /** Label of each run in progress, by run id. */
  private readonly active = new Map<string, string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly service: ReceiverService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.name = 'Spanlens run';
    this.item.command = 'workbench.action.terminal.focus';
  }

  async runFile(arg?: unknown): Promise<RunOutcome | undefined> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('Spanlens: open a JavaScript, TypeScript or Python file to run it with tracing.');
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) await doc.save();
    return this.guard(async () => {
      const target = await targetFor(uri.fsPath);
      for (const note of target.notes) this.log.info(`[run] ${path.basename(uri.fsPath)}: ${note}`);
      return this.run(path.basename(uri.fsPath), { command: target.command, args: target.args }, target.cwd);
    });
  }

  async runCommand(arg?: unknown): Promise<RunOutcome | undefined> {
    const remembered = this.context.workspaceState.get<string>(LAST_COMMAND_KEY, '');
    const commandLine =
      typeof arg === 'string'
        ? arg
        : await vscode.window.showInputBox({
            title: 'Spanlens: Run Command with Tracing',
            prompt: 'A command line to run in a terminal, traced into Spanlens (e.g. npm start, python app.py)',
            value: remembered,
            ignoreFocusOut: true,
          });
    if (!commandLine?.trim()) return undefined;
    await this.context.workspaceState.update(LAST_COMMAND_KEY, commandLine);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    return this.guard(() => this.run(commandLine.trim().split(/\s+/).slice(0, 2).join(' '), { commandLine }, cwd));
  }

  private async guard(work: () => Promise<RunOutcome>): Promise<RunOutcome | undefined> {
    try {
      return await work();
    } catch (err) {
      const message = err instanceof RunError ? err.message : userMessage(err, 'run the program with tracing');
      this.log.error(`[run] ${message}`);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  }

  private async run(label: string, line: RunLine, cwd: string): Promise<RunOutcome> {
    const endpoint = await receiverEndpoint(this.service);
    const service = path.basename(cwd) || 'app';
    const { runId, env } = runEnvironment(endpoint, this.context.extensionPath, service, process.env, this.service.token);
    this.log.info(`[run] ${label}: run ${runId} → ${endpoint}`);
    const started = await runInTerminal(`Spanlens: ${label}`, line, cwd, changedVariables(env, process.env), runId);
    this.active.set(runId, label);
    this.render();
    let exitCode: number | undefined;
    try {
      exitCode = await started.ended;
    } finally {
      this.active.delete(runId);
      this.render();
    }
    const outcome = await this.settle(runId, exitCode);
    this.log.info(`[run] ${label}: exit ${exitCode ?? 'unknown'}, ${outcome.spans} spans in ${outcome.traceIds.length} traces`);
    void this.report(label, outcome);
    return outcome;
  }

  /** Waits until the run's spans stop arriving, then counts them. */
  private async settle(runId: string, exitCode: number | undefined): Promise<RunOutcome> {
    const store = await this.service.store();
    const deadline = Date.now() + SETTLE_MS.max;
    let last = -1;
    let quietSince = Date.now();
    for (;;) {
      const traces = await store.call('listTraces', 1000, 0, runId);
      const spans = traces.reduce((n, t) => n + t.spanCount, 0);
      if (spans !== last) {
        last = spans;
        quietSince = Date.now();
      }
      if (Date.now() - quietSince >= SETTLE_MS.quiet || Date.now() >= deadline) {
        const llmCalls = traces.reduce((n, t) => n + t.llmCalls, 0);
        return { runId, exitCode, traceIds: traces.map((t) => t.traceId), spans, llmCalls };
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  private async report(label: string, o: RunOutcome): Promise<void> {
    const status = o.exitCode === undefined ? 'ended' : `exited with ${o.exitCode}`;
    const what = o.spans === 0 ? 'no spans (is the app instrumented? see the Spanlens log)' : `${o.spans} ${o.spans === 1 ? 'span' : 'spans'} · ${o.llmCalls} LLM ${o.llmCalls === 1 ? 'call' : 'calls'}`;
    const latest = o.traceIds[0];
    if (latest) void vscode.commands.executeCommand('spanlens.revealSpan', latest, undefined, { show: false });
    if (latest && runConfig().openTimeline) void vscode.commands.executeCommand('spanlens.openTimeline', { traceId: latest });
    const text = `Spanlens: run ${label} ${status} · ${what}`;
    const show = o.exitCode ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const choice = latest ? await show(text, 'Open Timeline') : await show(text);
    if (choice === 'Open Timeline' && latest) await vscode.commands.executeCommand('spanlens.openTimeline', { traceId: latest });
  }

  private render(): void {
    if (this.active.size === 0) {
      this.item.hide();
      return;
    }
    const names = [...this.active.values()];
    this.item.text = `$(loading~spin) Spanlens: running ${names.length === 1 ? names[0] : `${names.length} programs`}`;
    this.item.tooltip = `Traced into Spanlens: ${names.join(', ')}. Click to show the terminal.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** The run commands and F5 tracing (`"spanlens": true` in launch configurations). */
export function registerRunCommands(context: vscode.ExtensionContext, service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const controller = new RunController(context, service, log);
  return [
    controller,
    vscode.commands.registerCommand('spanlens.runCurrentFile', (arg?: unknown) => controller.runFile(arg)),
    vscode.commands.registerCommand('spanlens.runCommand', (arg?: unknown) => controller.runCommand(arg)),
    ...registerDebugTracing(context, service, log),
  ];
}
