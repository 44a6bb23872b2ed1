/**
 * Hosts the trace webview (timeline and span detail): one panel, reused for the trace asked
 * for; answers the webview's requests from the store, keeps the trace live while spans arrive,
 * and keeps its selection in step with the tree. Restored after a reload from its saved state.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StoreChange } from '../core/store/spanStore.js';
import { safeLine } from '../core/views/safeText.js';
import { webviewHtml } from '../core/views/webviewHtml.js';
import type { SourceLocation } from '../shared/source.js';
import { type HostMessage, type WebviewMessage, type WebviewRequest, type WebviewState, isRequest, isWebviewMessage } from '../shared/protocol.js';
import { openFrame } from './openFrame.js';
import type { ReceiverService } from './receiverService.js';

export const TIMELINE_VIEW_TYPE = 'spanlens.timeline';
// Spans of an open trace arrive in bursts: redraw at most this often.
const LIVE_REFRESH_MS = 150;

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private queue: HostMessage[] = [];
  private traceId: string | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private sources: { traceId: string; byId: Promise<Record<string, SourceLocation | null>> } | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: ReceiverService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    void service.store().then(
      (store) => this.disposables.push(store.onDidChange((c) => this.storeChanged(c))),
      () => undefined,
    );
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state?: WebviewState) => {
          this.adopt(panel);
          if (state?.traceId) await this.show(state.traceId, state.selectedSpanId);
        },
      }),
    );
  }

  /** Opens (or reuses) the panel on a trace, selecting `spanId` when given. */
  async show(traceId: string, spanId?: string): Promise<boolean> {
    const view = await (await this.service.store()).traceView(traceId);
    if (!view) {
      void vscode.window.showWarningMessage(`Spanlens: trace ${traceId} is no longer in the store.`);
      return false;
    }
    const panel = this.panel ?? this.adopt(vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, '', { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, this.options()));
    panel.title = `Trace: ${safeLine(view.name, 80) || traceId.slice(0, 8)}`;
    this.traceId = traceId;
    this.post({ method: 'trace', params: { view, selectedSpanId: spanId } });
    panel.reveal(undefined, true);
    return true;
  }

  /** Selects a span (the tree's selection changed); opens its trace when another one is shown. */
  async select(traceId: string, spanId: string): Promise<void> {
    if (!this.panel) return;
    if (traceId !== this.traceId) await this.show(traceId, spanId);
    else this.post({ method: 'select', params: { spanId } });
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')] };
  }

  private adopt(panel: vscode.WebviewPanel): vscode.WebviewPanel {
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.options = this.options();
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', name)).toString();
    webview.html = webviewHtml({ nonce: randomBytes(16).toString('base64'), cspSource: webview.cspSource, scriptUri: asset('main.js'), styleUri: asset('main.css'), title: 'Spanlens trace' });
    const subs = [
      webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      // A hidden webview is unloaded (its context is not retained): it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        subs.forEach((s) => s.dispose());
        this.panel = undefined;
        this.traceId = undefined;
        this.queue = [];
      }),
    ];
    return panel;
  }

  private post(message: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready) {
      // Before `ready` only the latest trace matters; selections and replies wait with it.
      if (message.method === 'trace') this.queue = this.queue.filter((m) => m.method === 'reply');
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private async receive(m: unknown): Promise<void> {
    if (!isWebviewMessage(m)) {
      this.log.warn('[timeline] ignored a message the webview protocol does not have');
      return;
    }
    if (isRequest(m)) return this.answer(m);
    await this.notified(m);
  }

  private async notified(m: Exclude<WebviewMessage, WebviewRequest>): Promise<void> {
    switch (m.method) {
      case 'ready': {
        this.ready = true;
        const queued = this.queue;
        this.queue = [];
        // A reloaded page (shown again, or restored) has lost its trace; it keeps its own state.
        if (this.traceId && !queued.some((q) => q.method === 'trace')) await this.refresh(this.traceId, 'trace');
        queued.forEach((q) => this.post(q));
        return;
      }
      case 'selected':
        if (this.traceId) await vscode.commands.executeCommand('spanlens.revealSpan', this.traceId, String(m.params.spanId)).then(undefined, () => undefined);
        return;
      case 'openSpan': {
        // Enter or double-click: the span in the tree, and the line that made it.
        const traceId = this.traceId;
        if (!traceId) return;
        const spanId = String(m.params.spanId);
        await vscode.commands.executeCommand('spanlens.revealSpan', traceId, spanId, { show: true }).then(undefined, () => undefined);
        const source = await this.sourceOf(traceId, spanId);
        if (source) await openFrame(source.path, source.line, source.column);
        return;
      }
      case 'openFrame':
        await openFrame(m.params.path, m.params.line, m.params.column);
        return;
      case 'copyText':
        await vscode.env.clipboard.writeText(String(m.params.text));
        void vscode.window.setStatusBarMessage('Spanlens: copied', 2000);
        return;
    }
  }

  private async answer(m: WebviewRequest): Promise<void> {
    const requestId = m.requestId;
    try {
      if (!this.traceId) throw new Error('no trace is shown');
      const spanId = String(m.params.spanId);
      const [detail, source] = await Promise.all([(await this.service.store()).spanDetail(this.traceId, spanId), this.sourceOf(this.traceId, spanId)]);
      this.post({ method: 'reply', params: { requestId, result: { ...detail, source } } });
    } catch (err) {
      this.post({ method: 'reply', params: { requestId, error: (err as Error).message } });
    }
  }

  /** The span's location in the workspace, from the trace's sources (cached until the trace changes). */
  private async sourceOf(traceId: string, spanId: string): Promise<SourceLocation | null> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) return null;
    if (this.sources?.traceId !== traceId) this.sources = { traceId, byId: (await this.service.store()).traceSources(traceId, root) };
    try {
      return (await this.sources.byId)[spanId] ?? null;
    } catch (err) {
      this.log.warn(`[timeline] no source locations for trace ${traceId}: ${(err as Error).message}`);
      this.sources = undefined;
      return null;
    }
  }

  private storeChanged(change: StoreChange): void {
    const id = this.traceId;
    if (!id || !this.panel) return;
    if (change.cleared || change.deletedTraceIds.includes(id)) {
      this.panel.title = 'Trace deleted';
      return;
    }
    if (!change.traceIds.includes(id) || this.refreshTimer) return;
    if (this.sources?.traceId === id) this.sources = undefined;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh(id);
    }, LIVE_REFRESH_MS);
  }

  private async refresh(traceId: string, method: 'trace' | 'traceUpdated' = 'traceUpdated'): Promise<void> {
    if (traceId !== this.traceId) return;
    const view = await (await this.service.store()).traceView(traceId);
    if (view && traceId === this.traceId) this.post({ method, params: { view } });
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
