/**
 * The detail pane of the trace webview: one span as the user debugs it. An LLM call reads as a
 * chat transcript with its model, tokens and cost above; every attribute, event and exception
 * follows. Styles: detail.css (imported by the webview's entry, not here).
 */
import type { SpanDetail } from '../../../src/shared/traceView.js';
import type { DetailActions } from './actions.js';
import { renderAttributes, renderEvents } from './attributes.js';
import { h } from './dom.js';
import { renderExceptions } from './exceptions.js';
import { renderHeader } from './header.js';
import { renderToolExecution, renderTranscript } from './transcript.js';

export type { DetailActions } from './actions.js';

/** Replaces `container`'s content with the detail of one span. */
export function renderDetail(container: HTMLElement, detail: SpanDetail, actions: DetailActions): void {
  const pane = h('div', { class: 'sl-detail', attrs: { 'data-span-id': detail.spanId } },
    renderHeader(detail, actions),
    renderExceptions(detail.exceptions, actions),
    detail.llm ? renderTranscript(detail.llm, actions) : null,
    detail.tool ? renderToolExecution(detail.tool, actions) : null,
    renderAttributes(detail, actions),
    renderEvents(detail.events, actions),
  );
  container.replaceChildren(pane);
}

/** Replaces `container`'s content with why the span's detail could not be shown. */
export function renderDetailError(container: HTMLElement, message: string): void {
  container.replaceChildren(h('div', { class: 'sl-detail sl-detail-failed', attrs: { role: 'alert' } },
    h('div', { class: 'sl-error' }, message || 'The span detail could not be loaded.')));
}
