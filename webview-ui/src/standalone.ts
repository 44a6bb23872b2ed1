/**
 * The exported HTML file has no host: this page reads the trace it embeds (a `TraceBundle` in
 * `<script type="application/json" id="spanlens-trace">`) and answers the webview's requests
 * from it, through the same `WebviewApi` the VS Code webview uses.
 */
import type { HostMessage, WebviewApi, WebviewMessage, WebviewState } from '../../src/shared/protocol.js';
import { BUNDLE_ELEMENT_ID, type TraceBundle } from '../../src/shared/traceView.js';

/** The embedded bundle, or an error saying why there is none. */
export function readBundle(doc: Document): TraceBundle | Error {
  const el = doc.getElementById(BUNDLE_ELEMENT_ID);
  if (!el) return new Error('This page holds no trace.');
  try {
    const value: unknown = JSON.parse(el.textContent ?? '');
    if (!isBundle(value)) return new Error('The trace embedded in this page is not readable.');
    return value;
  } catch {
    return new Error('The trace embedded in this page is not valid JSON.');
  }
}

function isBundle(v: unknown): v is TraceBundle {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as { view?: { spans?: unknown }; details?: unknown };
  return typeof b.view === 'object' && b.view !== null && Array.isArray(b.view.spans) && typeof b.details === 'object' && b.details !== null;
}

/**
 * A `WebviewApi` answering `getDetail` from the bundle; `deliver` receives what the host would
 * post (asynchronously, as a real host does). State lives as long as the page.
 */
export function localApi(bundle: TraceBundle, deliver: (message: HostMessage) => void): WebviewApi {
  let state: WebviewState | undefined;
  const post = (message: HostMessage): void => void Promise.resolve().then(() => deliver(message));
  return {
    postMessage(message: WebviewMessage): void {
      switch (message.method) {
        case 'ready':
          post({ method: 'trace', params: { view: bundle.view } });
          return;
        case 'getDetail': {
          const detail = Object.prototype.hasOwnProperty.call(bundle.details, message.params.spanId) ? bundle.details[message.params.spanId] : undefined;
          post({ method: 'reply', params: detail ? { requestId: message.requestId, result: detail } : { requestId: message.requestId, error: 'This span has no detail in the exported file.' } });
          return;
        }
        case 'copyText':
          void navigator.clipboard?.writeText(message.params.text).catch(() => undefined);
          return;
        default:
          // Selecting, opening a span or a source file mean nothing without an editor.
          return;
      }
    },
    getState: () => state,
    setState: (next) => {
      state = next;
    },
  };
}
