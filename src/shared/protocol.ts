/**
 * The one protocol between the extension host and the trace webview (and the exported HTML
 * file, whose page answers the same requests from its embedded trace). Each message is declared
 * once here: its method, its payload, and a line saying its direction and meaning.
 */
import type { SpanDetail, TraceView } from './traceView.js';

/** host → webview messages, by method. */
export interface HostMessages {
  /** host → webview: show this trace (replaces the one shown); select `selectedSpanId` when given. */
  trace: { view: TraceView; selectedSpanId?: string };
  /** host → webview: the trace shown has changed (spans arrived); keep folding, zoom and selection. */
  traceUpdated: { view: TraceView };
  /** host → webview: select and scroll to this span (the tree's selection changed). */
  select: { spanId: string };
  /** host → webview: the answer to a request; `error` is a message for the user when it failed. */
  reply: { requestId: number; result?: unknown; error?: string };
}

/** Requests the webview makes and what their replies carry. */
export interface WebviewRequests {
  /** webview → host: one span's detail, for the detail pane. */
  getDetail: { params: { spanId: string }; result: SpanDetail };
}

/** webview → host notifications, by method. */
export interface WebviewMessages {
  /** webview → host: the page has loaded and listens; the host sends nothing before this. */
  ready: Record<string, never>;
  /** webview → host: the user selected a span (the host selects it in the tree). */
  selected: { spanId: string };
  /** webview → host: the user opened a span (Enter or double-click): reveal it in the tree. */
  openSpan: { spanId: string };
  /** webview → host: the user clicked a stack frame: open that file at that line. */
  openFrame: { path: string; line: number | null; column: number | null };
  /** webview → host: put this text on the clipboard. */
  copyText: { text: string };
}

export type HostMessage = { [M in keyof HostMessages]: { method: M; params: HostMessages[M] } }[keyof HostMessages];

export type WebviewRequest = { [M in keyof WebviewRequests]: { method: M; requestId: number; params: WebviewRequests[M]['params'] } }[keyof WebviewRequests];

export type WebviewMessage = { [M in keyof WebviewMessages]: { method: M; params: WebviewMessages[M] } }[keyof WebviewMessages] | WebviewRequest;

const HOST_METHODS: readonly (keyof HostMessages)[] = ['trace', 'traceUpdated', 'select', 'reply'];
const WEBVIEW_METHODS: readonly (keyof WebviewMessages | keyof WebviewRequests)[] = ['ready', 'selected', 'openSpan', 'openFrame', 'copyText', 'getDetail'];

function hasMethod(m: unknown): m is { method: unknown; params: unknown } {
  return typeof m === 'object' && m !== null && 'method' in m && typeof (m as { params?: unknown }).params === 'object' && (m as { params?: unknown }).params !== null;
}

/** Whether a value posted to the webview is one of the host's messages. */
export function isHostMessage(m: unknown): m is HostMessage {
  return hasMethod(m) && (HOST_METHODS as readonly unknown[]).includes(m.method);
}

/** Whether a value posted by the webview is one of its messages (the webview runs untrusted text: check). */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  return hasMethod(m) && (WEBVIEW_METHODS as readonly unknown[]).includes(m.method);
}

export function isRequest(m: WebviewMessage): m is WebviewRequest {
  return m.method === 'getDetail';
}

/** The state the webview keeps across hides and reloads (`getState`/`setState`). */
export interface WebviewState {
  traceId?: string;
  selectedSpanId?: string;
  /** Folded span ids. */
  collapsed?: string[];
  /** The visible time window, ms since the trace's start. */
  window?: [number, number];
  scrollTop?: number;
  /** Width of the detail pane, px. */
  detailWidth?: number;
}

/** What a page needs of VS Code's webview API (`acquireVsCodeApi()`); the exported HTML file supplies its own. */
export interface WebviewApi {
  postMessage(message: WebviewMessage): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
}
