/**
 * The exported HTML file has no host: this page reads the trace it embeds (the `TraceView` and
 * the span details, each raw-deflated JSON in base64, see src/core/views/webviewHtml.ts) and
 * answers the webview's requests from it, through the same `WebviewApi` the VS Code webview
 * uses. The details, most of the bytes, are inflated only when a span is first opened.
 */
import type { HostMessage, WebviewApi, WebviewMessage, WebviewState } from '../../src/shared/protocol.js';
import { BUNDLE_ELEMENT_ID, DETAILS_ELEMENT_ID, type SpanDetail, type TraceView } from '../../src/shared/traceView.js';

/** What the file embeds: the view now, the details on first use. */
export interface EmbeddedTrace {
  view: TraceView;
  details(): Promise<Record<string, SpanDetail>>;
}

async function inflate(el: HTMLElement): Promise<unknown> {
  const text = atob((el.textContent ?? '').trim());
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return JSON.parse(await new Response(stream).text());
}

/** The embedded trace, or an error saying why there is none. */
export async function readBundle(doc: Document): Promise<EmbeddedTrace | Error> {
  const viewEl = doc.getElementById(BUNDLE_ELEMENT_ID);
  const detailsEl = doc.getElementById(DETAILS_ELEMENT_ID);
  if (!viewEl || !detailsEl) return new Error('This page holds no trace.');
  let view: unknown;
  try {
    view = await inflate(viewEl);
  } catch {
    return new Error('The trace embedded in this page is not readable.');
  }
  if (!isView(view)) return new Error('The trace embedded in this page is not readable.');
  let details: Promise<Record<string, SpanDetail>> | undefined;
  return {
    view,
    details: () =>
      (details ??= inflate(detailsEl).then((d) => (typeof d === 'object' && d !== null ? (d as Record<string, SpanDetail>) : {}))),
  };
}

function isView(v: unknown): v is TraceView {
  return typeof v === 'object' && v !== null && Array.isArray((v as { spans?: unknown }).spans);
}

/**
 * A `WebviewApi` answering `getDetail` from the bundle; `deliver` receives what the host would
 * post (asynchronously, as a real host does). State lives as long as the page.
 */
export function localApi(bundle: EmbeddedTrace, deliver: (message: HostMessage) => void): WebviewApi {
  let state: WebviewState | undefined;
  const post = (message: HostMessage): void => void Promise.resolve().then(() => deliver(message));
  return {
    postMessage(message: WebviewMessage): void {
      switch (message.method) {
        case 'ready':
          post({ method: 'trace', params: { view: bundle.view } });
          return;
        case 'getDetail': {
          const { requestId, params } = message;
          void bundle.details().then(
            (details) => {
              const detail = Object.prototype.hasOwnProperty.call(details, params.spanId) ? details[params.spanId] : undefined;
              post({ method: 'reply', params: detail ? { requestId, result: detail } : { requestId, error: 'This span has no detail in the exported file.' } });
            },
            () => post({ method: 'reply', params: { requestId, error: 'The span details embedded in this page are not readable.' } }),
          );
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
