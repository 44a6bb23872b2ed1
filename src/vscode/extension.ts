/**
 * Extension entry. Activation is cheap: the receiver starts only when a folder is open and
 * `spanlens.receiver.enabled` is on; everything is owned by context.subscriptions.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands.js';
import { registerFileCommands } from './fileCommands.js';
import { RECEIVER_SECTION, STORE_SECTIONS, receiverConfig } from './config.js';
import { ReceiverService } from './receiverService.js';
import { StatusBar } from './statusBar.js';
import { registerTimelineCommands } from './timelineCommands.js';
import { registerTraceTree } from './traceTree.js';
import { registerEditorSurfaces } from './sourceCommands.js';
import { registerRunCommands } from './runCommands.js';
import { TimelinePanel } from './timelinePanel.js';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Spanlens', { log: true });
  const service = new ReceiverService(context.storageUri?.fsPath, log);
  context.subscriptions.push(log, service, new StatusBar(service), ...registerCommands(service), ...registerFileCommands(service, log));
  context.subscriptions.push(...registerTraceTree(service, log), ...registerEditorSurfaces(service, log));
  const timeline = new TimelinePanel(context.extensionUri, service, log);
  context.subscriptions.push(timeline, ...registerTimelineCommands(context.extensionUri, service, timeline));
  context.subscriptions.push(...registerRunCommands(context, service, log));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (STORE_SECTIONS.some((section) => e.affectsConfiguration(section))) void service.reconfigureStore();
      if (!e.affectsConfiguration(RECEIVER_SECTION)) return;
      const config = receiverConfig();
      if (!config.enabled) void service.stop();
      else if (vscode.workspace.workspaceFolders?.length) void service.restart();
    }),
  );

  if (receiverConfig().enabled && vscode.workspace.workspaceFolders?.length) void service.start();
}

export function deactivate(): void {
  // Disposal of context.subscriptions stops the receiver and closes the store.
}
