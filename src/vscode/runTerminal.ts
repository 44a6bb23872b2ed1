/**
 * Runs a program in the integrated terminal as a shell task, so that the user sees its output and
 * Spanlens learns its exit code (`tasks.onDidEndTaskProcess`, available in every VS Code version
 * the extension supports, unlike shell integration's end event).
 */
import * as vscode from 'vscode';

export const RUN_TASK_TYPE = 'spanlens';

/** What to run: a file's program and arguments (quoted here), or a command line as typed. */
export type RunLine = { command: string; args: string[] } | { commandLine: string };

export interface TerminalRun {
  /** Resolves with the exit code when the program ends; undefined when it never started or was killed. */
  readonly ended: Promise<number | undefined>;
  /** Ends the program (the terminal stays). */
  terminate(): void;
}

function execution(line: RunLine, cwd: string, env: Record<string, string>): vscode.ShellExecution {
  const options: vscode.ShellExecutionOptions = { cwd, env };
  if ('commandLine' in line) return new vscode.ShellExecution(line.commandLine, options);
  const strong = (value: string): vscode.ShellQuotedString => ({ value, quoting: vscode.ShellQuoting.Strong });
  return new vscode.ShellExecution(strong(line.command), line.args.map(strong), options);
}

/**
 * Starts `line` in a terminal named `name`. The task's environment is merged into the window's,
 * so `env` need only hold what tracing changes (a full environment works too).
 */
export async function runInTerminal(name: string, line: RunLine, cwd: string, env: Record<string, string>, runId: string): Promise<TerminalRun> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(cwd)) ?? vscode.TaskScope.Workspace;
  const task = new vscode.Task({ type: RUN_TASK_TYPE, runId }, folder, name, 'Spanlens', execution(line, cwd, env), []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false, echo: true };
  const subscriptions: vscode.Disposable[] = [];
  let settle: (code: number | undefined) => void = () => undefined;
  const ended = new Promise<number | undefined>((resolve) => (settle = resolve));
  const isOurs = (e: { execution: vscode.TaskExecution }): boolean => (e.execution.task.definition as { runId?: string }).runId === runId;
  const finish = (code: number | undefined): void => {
    for (const s of subscriptions.splice(0)) s.dispose();
    settle(code);
  };
  subscriptions.push(
    vscode.tasks.onDidEndTaskProcess((e) => isOurs(e) && finish(e.exitCode)),
    // A task whose process never started ends without a process event.
    vscode.tasks.onDidEndTask((e) => isOurs(e) && setTimeout(() => finish(undefined), 500)),
  );
  let running: vscode.TaskExecution;
  try {
    running = await vscode.tasks.executeTask(task);
  } catch (err) {
    finish(undefined);
    throw err;
  }
  return { ended, terminate: () => running.terminate() };
}
