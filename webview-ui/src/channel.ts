/**
 * The webview's end of the protocol: posts notifications, makes requests that resolve or reject
 * with the host's `reply`, and hands the other host messages to the page. Every message from
 * outside is checked with `isHostMessage` first: the page shows untrusted trace text, and a
 * stray `postMessage` must not be taken for the host.
 */
import { isHostMessage, type HostMessage, type WebviewApi, type WebviewMessages, type WebviewRequests, type WebviewState } from '../../src/shared/protocol.js';

type Notification = { [M in keyof WebviewMessages]: { method: M; params: WebviewMessages[M] } }[keyof WebviewMessages];

/** Host messages other than replies, which the channel consumes itself. */
export type PageMessage = Exclude<HostMessage, { method: 'reply' }>;

export class RequestError extends Error {}

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(
    private readonly api: WebviewApi,
    private readonly onMessage: (message: PageMessage) => void,
  ) {}

  /** Feeds one value received from outside (a `message` event's data); anything else is ignored. */
  receive(data: unknown): void {
    if (!isHostMessage(data)) return;
    if (data.method !== 'reply') {
      this.onMessage(data);
      return;
    }
    const waiting = this.pending.get(data.params.requestId);
    if (!waiting) return;
    this.pending.delete(data.params.requestId);
    if (typeof data.params.error === 'string') waiting.reject(new RequestError(data.params.error));
    else waiting.resolve(data.params.result);
  }

  notify<M extends Notification['method']>(method: M, params: WebviewMessages[M]): void {
    this.api.postMessage({ method, params } as Notification);
  }

  request<M extends keyof WebviewRequests>(method: M, params: WebviewRequests[M]['params']): Promise<WebviewRequests[M]['result']> {
    const requestId = this.nextId++;
    return new Promise<WebviewRequests[M]['result']>((resolve, reject) => {
      // The host answers with the result type declared for the method; the protocol is the contract.
      this.pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject });
      this.api.postMessage({ method, requestId, params });
    });
  }

  getState(): WebviewState {
    const state = this.api.getState();
    return typeof state === 'object' && state !== null ? state : {};
  }

  setState(state: WebviewState): void {
    this.api.setState(state);
  }
}
