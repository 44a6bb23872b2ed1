/**
 * Owns the span store and the OTLP receiver for this window: opens the workspace's database,
 * starts and restarts the receiver as the settings say, and tells listeners about its state.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { StoreClient } from '../core/store/storeClient.js';
import type { StoreChange } from '../core/store/spanStore.js';
import { OtlpReceiver, type ReceiverAddress } from '../receiver/receiver.js';
import { receiverConfig, storeConfig } from './config.js';
import { userMessage } from './errors.js';

export type ReceiverState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'running'; address: ReceiverAddress }
  | { kind: 'failed'; message: string };

export class ReceiverService implements vscode.Disposable {
  private readonly stateChanged = new vscode.EventEmitter<ReceiverState>();
  readonly onDidChangeState = this.stateChanged.event;
  private readonly spansChanged = new vscode.EventEmitter<StoreChange>();
  /** Fired after each stored batch, deletion, pin and clear, with the traces it touched. */
  readonly onDidChangeSpans = this.spansChanged.event;
  private receiver: OtlpReceiver | undefined;
  private storePromise: Promise<StoreClient> | undefined;
  private _state: ReceiverState = { kind: 'stopped' };
  private readonly disposables: vscode.Disposable[] = [this.stateChanged, this.spansChanged];

  constructor(
    private readonly storageDir: string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): ReceiverState {
    return this._state;
  }

  /** The workspace's store, opened on first use. */
  store(): Promise<StoreClient> {
    this.storePromise ??= this.openStore();
    return this.storePromise;
  }

  private async openStore(): Promise<StoreClient> {
    let dbPath: string | undefined;
    if (this.storageDir) {
      mkdirSync(this.storageDir, { recursive: true });
      dbPath = path.join(this.storageDir, 'spans.db');
    }
    const store = await StoreClient.open({
      ...storeConfig(),
      path: dbPath,
      onWarning: (m) => {
        this.log.warn(`[store] ${m}`);
        void vscode.window.showWarningMessage(`Spanlens: ${m}`);
      },
    });
    this.log.info(`[store] ${dbPath ? `opened ${dbPath}` : 'no workspace storage: keeping spans in memory'} (${store.spanCount} spans)`);
    const sub = store.onDidChange((change) => this.spansChanged.fire(change));
    this.disposables.push({ dispose: () => sub.dispose() }, { dispose: () => void store.close() });
    return store;
  }

  /** Applies changed retention, price and run settings to the open store. */
  async reconfigureStore(): Promise<void> {
    if (!this.storePromise) return;
    await (await this.storePromise).configure(storeConfig());
    this.log.info('[store] settings changed: retention applies now, prices and run grouping to spans received from now on');
  }

  async start(): Promise<void> {
    if (this.receiver) return;
    const config = receiverConfig();
    this.setState({ kind: 'starting' });
    try {
      const store = await this.store();
      const receiver = new OtlpReceiver({
        sink: store,
        log: this.log,
        httpPort: config.httpPort,
        grpcPort: config.grpcPort,
        maxBodyBytes: config.maxBodyBytes,
      });
      this.receiver = receiver;
      const address = await receiver.start();
      this.setState({ kind: 'running', address });
      if (address.fellBack.http) {
        void vscode.window.showInformationMessage(
          `Spanlens: port ${config.httpPort} is in use, so the OTLP receiver listens on ${address.http}. Point your app at http://127.0.0.1:${address.http}.`,
        );
      }
    } catch (err) {
      this.receiver = undefined;
      const message = userMessage(err, 'start the OTLP receiver');
      this.log.error(`[receiver] ${message}`);
      this.setState({ kind: 'failed', message });
    }
  }

  async stop(): Promise<void> {
    const receiver = this.receiver;
    this.receiver = undefined;
    if (receiver) await receiver.stop();
    this.setState({ kind: 'stopped' });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private setState(state: ReceiverState): void {
    this._state = state;
    this.stateChanged.fire(state);
  }

  dispose(): void {
    void this.receiver?.stop();
    this.receiver = undefined;
    for (const d of this.disposables) d.dispose();
  }
}
