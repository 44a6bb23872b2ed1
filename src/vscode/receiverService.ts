/**
 * Owns the span store and the OTLP receiver for this window: opens the workspace's database,
 * starts and restarts the receiver as the settings say, and tells listeners about its state.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { StoreClient } from '../core/store/storeClient.js';
import type { StorageState, StoreChange } from '../core/store/spanStore.js';
import { endpointHost } from '../receiver/access.js';
import { OtlpReceiver, type ReceiverAddress, type ReceiverChange } from '../receiver/receiver.js';
import { receiverConfig, storeConfig } from './config.js';
import { userMessage } from './errors.js';

export type ReceiverState =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'running'; address: ReceiverAddress }
  /** It was running and a port stopped listening: listening again (the same port, then a free one). */
  | { kind: 'recovering'; reason: string; address: ReceiverAddress }
  /** `stopped`: it had been running, and a lost port could not be listened on again. */
  | { kind: 'failed'; message: string; stopped?: boolean };

export class ReceiverService implements vscode.Disposable {
  private readonly stateChanged = new vscode.EventEmitter<ReceiverState>();
  readonly onDidChangeState = this.stateChanged.event;
  private readonly spansChanged = new vscode.EventEmitter<StoreChange>();
  /** Fired after each stored batch, deletion, pin and clear, with the traces it touched. */
  readonly onDidChangeSpans = this.spansChanged.event;
  private readonly storageChanged = new vscode.EventEmitter<StorageState>();
  /** Fired when the store starts or stops writing to disk (a full disk, a read-only folder, another window). */
  readonly onDidChangeStorage = this.storageChanged.event;
  private _storage: StorageState = { kind: 'memory' };
  private receiver: OtlpReceiver | undefined;
  private storePromise: Promise<StoreClient> | undefined;
  private _state: ReceiverState = { kind: 'stopped' };
  private _token: string | undefined;
  private readonly disposables: vscode.Disposable[] = [this.stateChanged, this.spansChanged, this.storageChanged];

  constructor(
    private readonly storageDir: string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): ReceiverState {
    return this._state;
  }

  /** Where stored spans live: on disk, or in memory only (and why). */
  get storage(): StorageState {
    return this._storage;
  }

  /** The token the running receiver asks for (traced runs send it), if any. */
  get token(): string | undefined {
    return this._state.kind === 'running' ? this._token : undefined;
  }

  /** The workspace's store, opened on first use. */
  store(): Promise<StoreClient> {
    this.storePromise ??= this.openStore();
    return this.storePromise;
  }

  private async openStore(): Promise<StoreClient> {
    let dbPath: string | undefined;
    if (this.storageDir) {
      try {
        mkdirSync(this.storageDir, { recursive: true });
      } catch (err) {
        // The store then serves from memory and says why (see the storage state).
        this.log.warn(`[store] cannot create ${this.storageDir}: ${(err as Error).message}`);
      }
      dbPath = path.join(this.storageDir, 'spans.db');
    }
    const store = await StoreClient.open({
      ...storeConfig(),
      path: dbPath,
      onWarning: (m) => {
        this.log.warn(`[store] ${m}`);
        void vscode.window.showWarningMessage(`Spanlens: ${m}`);
      },
      onInfo: (m) => this.log.info(`[store] ${m}`),
    });
    this.log.info(`[store] ${dbPath ? `opened ${dbPath}` : 'no workspace storage: keeping spans in memory'} (${store.spanCount} spans)`);
    const sub = store.onDidChange((change) => this.spansChanged.fire(change));
    const storageSub = store.onDidChangeStorage((s) => this.setStorage(s));
    this.setStorage(store.storage);
    this.disposables.push({ dispose: () => sub.dispose() }, { dispose: () => storageSub.dispose() }, { dispose: () => void store.close() });
    return store;
  }

  private setStorage(storage: StorageState): void {
    if (storage.kind === 'memoryOnly') this.log.warn(`[store] keeping spans in memory only: ${storage.reason}`);
    else if (this._storage.kind === 'memoryOnly' && storage.kind === 'disk') this.log.info(`[store] writing to ${storage.path} again`);
    this._storage = storage;
    this.storageChanged.fire(storage);
  }

  /** Applies changed retention, price and run settings to the open store. */
  async reconfigureStore(): Promise<void> {
    if (!this.storePromise) return;
    await (await this.storePromise).configure(storeConfig());
    this.log.info('[store] settings changed: retention applies now, prices and run grouping to spans received from now on');
  }

  async start(): Promise<void> {
    if (this.receiver || this._state.kind === 'starting') {
      // A traced run asks for the endpoint: give it the one the receiver is getting to.
      if (this._state.kind === 'starting' || this._state.kind === 'recovering') await this.settled();
      return;
    }
    const config = receiverConfig();
    this.setState({ kind: 'starting' });
    try {
      const store = await this.store();
      const receiver = new OtlpReceiver({
        sink: store,
        log: this.log,
        host: config.host,
        httpPort: config.httpPort,
        grpcPort: config.grpcPort,
        maxBodyBytes: config.maxBodyBytes,
        token: config.token,
        allowedOrigins: config.allowedOrigins,
      });
      this.receiver = receiver;
      receiver.onDidChange((change) => this.receiverChanged(receiver, change));
      let address = await receiver.start();
      if (this.receiver !== receiver) return; // stopped meanwhile, or lost a port for good
      address = receiver.address ?? address; // moved meanwhile
      this._token = config.token || undefined;
      this.setState({ kind: 'running', address });
      if (address.fellBack.http) {
        void vscode.window.showInformationMessage(
          `Spanlens: port ${config.httpPort} is in use, so the OTLP receiver listens on ${address.http}. Point your app at http://${endpointHost(address.host)}:${address.http}.`,
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
    receiver?.dispose();
    this.setState({ kind: 'stopped' });
  }

  /** A port lost while running: the receiver listens again on its own; this says so. */
  private receiverChanged(receiver: OtlpReceiver, change: ReceiverChange): void {
    if (this.receiver !== receiver) return; // one already stopped
    const before = this._state;
    if (before.kind === 'starting' && change.kind !== 'stopped') return; // start() reads the address when done
    switch (change.kind) {
      case 'recovering':
        if (before.kind === 'running') this.setState({ kind: 'recovering', reason: change.reason, address: before.address });
        break;
      case 'listening': {
        this.setState({ kind: 'running', address: change.address });
        if (!change.moved || before.kind !== 'recovering') break;
        const { host, http, grpc } = change.address;
        const old = before.address;
        const ports = [old.http !== http && `OTLP/HTTP ${old.http} → ${http}`, old.grpc !== grpc && `OTLP/gRPC ${old.grpc} → ${grpc}`].filter(Boolean).join(', ');
        void vscode.window.showWarningMessage(
          `Spanlens: the OTLP receiver lost its port (${before.reason}) and moved (${ports}). Programs started earlier still send to the old port: restart them, or point them at http://${endpointHost(host)}:${http}.`,
        );
        break;
      }
      case 'stopped': {
        this.receiver = undefined;
        receiver.dispose();
        this.setState({ kind: 'failed', message: `receiver stopped: ${change.reason}`, stopped: true });
        void vscode.window.showErrorMessage(`Spanlens: the OTLP receiver stopped: ${change.reason}`, 'Restart Receiver').then((pick) => {
          if (pick) void this.start();
        });
        break;
      }
    }
  }

  /** Resolves once the state is neither starting nor recovering. */
  private settled(): Promise<void> {
    return new Promise((resolve) => {
      const sub = this.onDidChangeState((s) => {
        if (s.kind === 'starting' || s.kind === 'recovering') return;
        sub.dispose();
        resolve();
      });
    });
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
