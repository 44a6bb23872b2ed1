/** Palette commands (category Spanlens). They translate to service calls; the service decides. */
import * as vscode from 'vscode';
import { endpointHost } from '../receiver/access.js';
import type { ReceiverService } from './receiverService.js';

export function endpointVariable(service: ReceiverService): string | undefined {
  const s = service.state;
  // Bound to 0.0.0.0, the receiver is still reached at 127.0.0.1 from this machine.
  return s.kind === 'running' ? `OTEL_EXPORTER_OTLP_ENDPOINT=http://${endpointHost(s.address.host)}:${s.address.http}` : undefined;
}

export function registerCommands(service: ReceiverService): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('spanlens.copyEndpoint', async () => {
      const line = endpointVariable(service);
      if (!line) {
        void vscode.window.showWarningMessage('Spanlens: the OTLP receiver is not running. Run "Spanlens: Restart Receiver" to start it.');
        return undefined;
      }
      await vscode.env.clipboard.writeText(line);
      void vscode.window.setStatusBarMessage(`Copied ${line}`, 3000);
      return line;
    }),
    vscode.commands.registerCommand('spanlens.restartReceiver', async () => {
      await service.restart();
      return service.state;
    }),
    vscode.commands.registerCommand('spanlens.clearAll', async () => {
      const store = await service.store();
      const count = store.spanCount;
      await store.call('clear');
      void vscode.window.setStatusBarMessage(`Spanlens: cleared ${count} spans`, 3000);
      return count;
    }),
  ];
}
