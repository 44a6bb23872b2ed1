/** The top of the detail pane: what the span is, how it ended and, for an LLM call, what it cost. */
import type { LlmCall, Usage } from '../../../src/shared/llm.js';
import type { SpanDetail } from '../../../src/shared/traceView.js';
import { formatCost, formatDuration } from '../../../src/shared/format.js';
import type { DetailActions } from './actions.js';
import { type Child, button, copyButton, h, numberText } from './dom.js';
import { type SourceLocation, confidenceLabel } from '../../../src/shared/source.js';

export function renderHeader(detail: SpanDetail, actions: DetailActions): HTMLElement {
  const error = detail.status.code === 'error';
  const header = h('header', { class: 'sl-header' },
    h('div', { class: 'sl-title-row' },
      h('h2', { class: 'sl-title', attrs: { 'data-field': 'name' } }, detail.name || '(unnamed span)'),
      copyButton(actions, () => JSON.stringify(detail, null, 2), 'the whole span as JSON', 'Copy JSON'),
    ),
    h('div', { class: 'sl-meta' },
      h('span', { class: `sl-badge sl-kind sl-kind-${kindClass(detail.kind)}`, attrs: { 'data-field': 'kind' } }, detail.kind),
      h('span', { class: 'sl-meta-item', attrs: { 'data-field': 'service' }, title: 'Service' }, detail.service),
      h('span', { class: `sl-meta-item sl-status sl-status-${detail.status.code}`, attrs: { 'data-field': 'status' } }, statusText(detail.status.code)),
      h('span', { class: 'sl-meta-item', attrs: { 'data-field': 'duration' }, title: 'Duration' }, formatDuration(detail.durationMs)),
      detail.source ? goToCode(detail.source, actions) : null,
    ),
    error && detail.status.message ? h('div', { class: 'sl-error', attrs: { 'data-field': 'status-message', role: 'alert' } }, detail.status.message) : null,
  );
  if (detail.llm) header.append(renderCall(detail.llm, error ? detail.status.message : ''));
  return header;
}

/** Opens the line that made the span; says how sure the mapping is whenever it is not exact. */
function goToCode(source: SourceLocation, actions: DetailActions): HTMLElement {
  const file = source.path.split(/[\\/]/).pop() ?? source.path;
  const sure = confidenceLabel(source.confidence);
  const label = `Go to code: ${file}:${source.line}${sure === 'exact' ? '' : ` (${sure})`}${source.inherited ? ' · from a parent span' : ''}`;
  return button(label, () => actions.openFrame(source.path, source.line, source.column), {
    class: 'sl-goto',
    title: `${source.path}:${source.line} · found by ${source.method}, confidence ${source.confidence.toFixed(2)}`,
    attrs: { 'data-field': 'source' },
  });
}

function statusText(code: SpanDetail['status']['code']): string {
  return code === 'error' ? 'Error' : code === 'ok' ? 'OK' : 'Unset';
}

/** Kinds come from a fixed list, but the class is built from it: keep it to letters. */
function kindClass(kind: string): string {
  return /^[a-z]+$/.test(kind) ? kind : 'other';
}

/** Provider, model, parameters, tokens, cost and timing of an LLM or embedding call, as label/value rows. */
function renderCall(llm: LlmCall, statusMessage: string): HTMLElement {
  const rows: [string, string, Child][] = [];
  const add = (field: string, label: string, value: Child): void => {
    if (value !== null && value !== '') rows.push([field, label, value]);
  };
  add('provider', 'Provider', llm.provider);
  add('model', 'Model', modelText(llm));
  add('params', 'Parameters', paramsText(llm.params));
  add('tokens', 'Tokens', tokensText(llm.usage));
  add('cost', 'Cost', llm.costUsd === null ? null : formatCost(llm.costUsd));
  add('latency', 'Latency', formatDuration(llm.latencyMs));
  add('ttft', 'Time to first token', llm.ttftMs === null ? null : formatDuration(llm.ttftMs));
  add('finish', 'Finish reasons', llm.finishReasons.join(', '));
  add('tools', 'Tools offered', llm.tools.length ? chips(llm.tools) : null);
  add('convention', 'Convention', llm.convention);
  const grid = h('dl', { class: 'sl-call' });
  for (const [field, label, value] of rows) {
    grid.append(h('div', { class: 'sl-field', attrs: { 'data-field': field } }, h('dt', null, label), h('dd', null, value)));
  }
  // The convention's own error when it says more than the span status already shown.
  if (llm.error && llm.error !== statusMessage) {
    grid.append(h('div', { class: 'sl-field sl-field-error', attrs: { 'data-field': 'llm-error' } }, h('dt', null, 'Error'), h('dd', { class: 'sl-error' }, llm.error)));
  }
  return grid;
}

function modelText(llm: LlmCall): string | null {
  const { requestModel: req, responseModel: res } = llm;
  if (req && res && req !== res) return `${req} → ${res}`;
  return res ?? req;
}

function paramsText(params: Record<string, unknown>): string | null {
  const parts = Object.entries(params).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(' · ') : null;
}

/** `21 in · 9 out · 30 total · 4 cache read · 2 reasoning`, leaving out what was not counted. */
export function tokensText(u: Usage): string | null {
  const parts: string[] = [];
  const add = (n: number | null, label: string): void => {
    if (n !== null) parts.push(`${numberText(n)} ${label}`);
  };
  add(u.inputTokens, 'in');
  add(u.outputTokens, 'out');
  add(u.totalTokens, 'total');
  add(u.cacheReadTokens, 'cache read');
  add(u.cacheWriteTokens, 'cache write');
  add(u.reasoningTokens, 'reasoning');
  return parts.length ? parts.join(' · ') : null;
}

function chips(names: string[]): HTMLElement {
  return h('span', { class: 'sl-chips' }, ...names.map((n) => h('code', { class: 'sl-chip' }, n)));
}
