/**
 * The status bar item: `Spanlens :4318 · N spans`; a click copies the endpoint variable. When
 * spans cannot be written to disk it says `memory only`, with the reason in the tooltip. When
 * the receiver lost a port it says it is listening again, then shows the new port; when it
 * stopped or failed, a click restarts it.
 */
import * as vscode from 'vscode';
import type { ReceiverService, ReceiverState } from './receiverService.js';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('spanlens.status', vscode.StatusBarAlignment.Left, 0);
  private readonly subscriptions: vscode.Disposable[];
  private spans = 0;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly service: ReceiverService) {
    this.item.name = 'Spanlens';
    this.item.command = 'spanlens.copyEndpoint';
    this.subscriptions = [
      service.onDidChangeState((s) => this.render(s)),
      service.onDidChangeStorage(() => this.render(service.state)),
      // Coalesce bursts of batches into at most a few repaints a second.
      service.onDidChangeSpans(() => (this.pending ??= setTimeout(() => void this.refreshCount(), 100))),
    ];
    void this.refreshCount();
    this.render(service.state);
    this.item.show();
  }

  private async refreshCount(): Promise<void> {
    this.pending = undefined;
    this.spans = (await this.service.store()).spanCount;
    this.render(this.service.state);
  }

  private render(state: ReceiverState): void {
    this.renderReceiver(state);
    const storage = this.service.storage;
    if (storage.kind !== 'memoryOnly') return;
    // Not an error: spans are received and shown; they would not survive closing the window.
    this.item.text = `${this.item.text.replace(/^\$\([^)]*\)/, '$(warning)')} · memory only`;
    const since = new Date(storage.since).toLocaleTimeString();
    const retry = storage.retrying ? ' Spanlens retries, and writes everything kept in memory once it can.' : '';
    const tooltip = `**Spans are kept in memory only** since ${since}: ${storage.reason}.${retry}`;
    const previous = this.item.tooltip;
    this.item.tooltip = new vscode.MarkdownString(`${tooltip}\n\n${typeof previous === 'string' ? previous : (previous?.value ?? '')}`);
    if (state.kind !== 'failed') this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  private renderReceiver(state: ReceiverState): void {
    const count = `${this.spans} ${this.spans === 1 ? 'span' : 'spans'}`;
    this.item.backgroundColor = undefined;
    this.item.command = state.kind === 'failed' ? 'spanlens.restartReceiver' : 'spanlens.copyEndpoint';
    switch (state.kind) {
      case 'running': {
        const { host, http, grpc } = state.address;
        const guard = this.service.token ? '\n- Exports need `Authorization: Bearer <token>` (`spanlens.receiver.token`)' : '';
        this.item.text = `$(pulse) Spanlens :${http} · ${count}`;
        this.item.tooltip = new vscode.MarkdownString(
          `**Spanlens OTLP receiver**\n\n- OTLP/HTTP: \`http://${host}:${http}\`\n- OTLP/gRPC: \`${host}:${grpc}\`${guard}\n\n${count} stored. Click to copy \`OTEL_EXPORTER_OTLP_ENDPOINT\`.`,
        );
        this.item.backgroundColor = undefined;
        break;
      }
      case 'starting':
        this.item.text = `$(loading~spin) Spanlens · ${count}`;
        this.item.tooltip = 'Spanlens: starting the OTLP receiver';
        break;
      case 'stopped':
        this.item.text = `$(circle-slash) Spanlens off · ${count}`;
        this.item.tooltip = 'Spanlens: the OTLP receiver is stopped (Spanlens: Restart Receiver starts it)';
        break;
      case 'recovering':
        this.item.text = `$(sync~spin) Spanlens :${state.address.http} · listening again · ${count}`;
        this.item.tooltip = `Spanlens: the OTLP receiver stopped listening (${state.reason}). It is listening again on the same ports, or on free ones if they were taken.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'failed':
        this.item.text = state.stopped ? `$(error) Spanlens: receiver stopped · ${count}` : `$(error) Spanlens · ${count}`;
        this.item.tooltip = `${state.message}\n\nClick (or run Spanlens: Restart Receiver) to try again.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
