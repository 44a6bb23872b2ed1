/** Span and resource attributes in tables one filter field searches (by key or value), the scope, and the events. */
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { ShownAttribute, SpanDetail, SpanEventView } from '../../../src/shared/traceView.js';
import { formatDuration } from '../../../src/shared/format.js';
import type { DetailActions } from './actions.js';
import { copyButton, h, jsonBlock, section } from './dom.js';
import { payload } from './payload.js';

interface Row {
  el: HTMLTableRowElement;
  /** Key and value in lower case, for a filter that ignores case. */
  haystack: string;
}

export function renderAttributes(detail: SpanDetail, actions: DetailActions): HTMLElement {
  const rows: Row[] = [];
  const count = h('span', { class: 'sl-filter-count', attrs: { 'data-field': 'filter-count', 'aria-live': 'polite' } });
  const filter = document.createElement('vscode-textfield');
  filter.className = 'sl-filter';
  filter.placeholder = 'Filter attributes by key or value';
  filter.label = 'Filter attributes';
  const groups = [
    table('Span', detail.attributes, rows, actions),
    table('Resource', detail.resource, rows, actions),
  ];
  const apply = (): void => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      row.el.hidden = q !== '' && !row.haystack.includes(q);
      if (!row.el.hidden) shown++;
    }
    count.textContent = q ? `${shown} of ${rows.length}` : `${rows.length}`;
  };
  filter.addEventListener('input', apply);
  apply();
  const scope = detail.scope.name || detail.scope.version
    ? h('div', { class: 'sl-scope', attrs: { 'data-field': 'scope' } }, h('span', { class: 'sl-label' }, 'Scope '), h('code', null, [detail.scope.name, detail.scope.version].filter(Boolean).join(' ')))
    : null;
  return section('Attributes', 'attributes', h('div', { class: 'sl-filter-row' }, filter, count), ...groups, scope, droppedNote(detail));
}

/** `Not received: 12 attributes, 3 events`: cut by the sender's SDK or by Spanlens' limits. */
function droppedNote(detail: SpanDetail): HTMLElement | null {
  const d = detail.dropped;
  if (!d) return null;
  const parts = [[d.attributes, 'attribute'], [d.events, 'event'], [d.links, 'link']]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${String(n)} ${String(what)}${n === 1 ? '' : 's'}`);
  return h('div', { class: 'sl-dropped', attrs: { 'data-field': 'dropped', title: 'Left out by the sender\'s SDK limits or by Spanlens\' own (OTLP dropped counts)' } },
    h('span', { class: 'sl-label' }, 'Dropped '), parts.join(', '));
}

function table(title: string, attributes: ShownAttribute[], rows: Row[], actions: DetailActions): HTMLElement {
  const body = h('tbody');
  for (const a of attributes) {
    const el = attributeRow(a, actions);
    body.append(el);
    rows.push({ el, haystack: `${a.key}\n${a.value}`.toLowerCase() });
  }
  return h('div', { class: 'sl-attr-group', attrs: { 'data-group': title.toLowerCase() } },
    h('h4', { class: 'sl-group-title' }, title),
    attributes.length ? h('table', { class: 'sl-attrs' }, body) : h('div', { class: 'sl-empty' }, '(none)'));
}

function attributeRow(a: ShownAttribute, actions: DetailActions): HTMLTableRowElement {
  const row = h('tr', { class: 'sl-attr-row' },
    h('td', { class: 'sl-attr-key' }, h('code', null, a.key)),
    h('td', { class: 'sl-attr-value' }, payload(a.value, jsonBlock)),
    h('td', { class: 'sl-attr-copy' }, copyButton(actions, () => a.value, `value of ${a.key}`)),
  );
  row.setAttribute('data-key', a.key);
  return row;
}

/** Span events with their offset from the span's start and their attributes. */
export function renderEvents(events: SpanEventView[], actions: DetailActions): HTMLElement | null {
  if (!events.length) return null;
  const list = h('ol', { class: 'sl-events' });
  for (const e of events) {
    const attrs = h('tbody');
    for (const a of e.attributes) attrs.append(attributeRow(a, actions));
    list.append(h('li', { class: 'sl-event' },
      h('div', { class: 'sl-event-head' },
        h('span', { class: 'sl-event-offset', attrs: { 'data-field': 'offset' } }, `+${formatDuration(e.offsetMs)}`),
        h('span', { class: 'sl-event-name', attrs: { 'data-field': 'event-name' } }, e.name)),
      e.attributes.length ? h('table', { class: 'sl-attrs' }, attrs) : null));
  }
  return section(`Events (${events.length})`, 'events', list);
}
