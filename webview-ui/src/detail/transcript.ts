/**
 * An LLM call as a chat transcript (system, input messages, then the response), and a tool
 * span's call and result. Tool calls and the tool results that answer them share a number and a
 * highlight, so a long agent conversation can be followed by eye.
 */
import type { LlmCall, Message, ToolCall, ToolExecution } from '../../../src/shared/llm.js';
import type { DetailActions } from './actions.js';
import { button, codeBlock, copyButton, h, jsonBlock, prettyJson, section } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { payload } from './payload.js';

const KNOWN_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function', 'input']);

interface CallInfo {
  number: number;
  name: string;
  /** The call's card and the cards of the results answering it, lit together on hover. */
  elements: HTMLElement[];
}

export function renderTranscript(llm: LlmCall, actions: DetailActions): HTMLElement {
  const calls = indexCalls([...llm.input, ...llm.output]);
  const body = h('div', { class: 'sl-transcript' });
  if (llm.contentMissing) {
    body.append(h('div', { class: 'sl-hint', attrs: { role: 'note', 'data-field': 'content-missing' } },
      h('strong', null, 'No prompt or response content was recorded. '), llm.contentMissing));
  }
  if (llm.system) body.append(renderMessage({ role: 'system', content: llm.system, toolCalls: [], toolCallId: null }, calls, actions));
  for (const m of llm.input) body.append(renderMessage(m, calls, actions));
  if (llm.output.length) {
    body.append(h('div', { class: 'sl-divider', attrs: { role: 'separator' } }, 'Response'));
    for (const m of llm.output) body.append(renderMessage(m, calls, actions, true));
  }
  if (!llm.contentMissing && !llm.system && !llm.input.length && !llm.output.length) {
    body.append(h('div', { class: 'sl-empty' }, '(no messages recorded)'));
  }
  for (const info of calls.values()) linkOnHover(info.elements);
  const title = llm.input.length || llm.output.length || llm.system ? 'Conversation' : 'Content';
  return section(title, 'transcript', body);
}

/** Tool call ids in order of appearance, numbered from 1. */
function indexCalls(messages: Message[]): Map<string, CallInfo> {
  const calls = new Map<string, CallInfo>();
  for (const m of messages) {
    for (const c of m.toolCalls) if (c.id !== null && !calls.has(c.id)) calls.set(c.id, { number: calls.size + 1, name: c.name, elements: [] });
  }
  return calls;
}

function renderMessage(m: Message, calls: Map<string, CallInfo>, actions: DetailActions, output = false): HTMLElement {
  const role = m.role.toLowerCase();
  const roleClass = KNOWN_ROLES.has(role) ? role : 'other';
  const card = h('div', { class: `sl-msg sl-role-${roleClass}${output ? ' sl-output' : ''}`, attrs: { 'data-role': m.role } });
  const head = h('div', { class: 'sl-msg-head' }, h('span', { class: 'sl-role' }, m.role || '(no role)'));
  card.append(head);
  if (m.toolCallId !== null) {
    const call = calls.get(m.toolCallId);
    card.setAttribute('data-call-id', m.toolCallId);
    head.append(h('span', { class: 'sl-answers', attrs: { 'data-field': 'answers' } },
      call ? `result of #${call.number} ${call.name} · ` : 'result of ', h('code', null, m.toolCallId)));
    call?.elements.push(card);
  }
  if (m.content) {
    const { body, toggle } = messageBody(m.content);
    head.append(h('span', { class: 'sl-head-actions' }, toggle, copyButton(actions, () => m.content, `${m.role} message`)));
    card.append(body);
  } else if (!m.toolCalls.length) {
    card.append(h('div', { class: 'sl-empty' }, '(empty)'));
  }
  for (const c of m.toolCalls) card.append(renderToolCall(c, c.id === null ? undefined : calls.get(c.id), actions));
  return card;
}

/**
 * Markdown, with a head button to switch to the text as written; JSON (a tool result, a
 * structured answer) indented instead.
 */
function messageBody(content: string): { body: HTMLElement; toggle: HTMLElement | null } {
  if (prettyJson(content) !== null) return { body: payload(content, jsonBlock), toggle: null };
  let raw = false;
  let expanded = false;
  const options = { onExpandedChange: (value: boolean) => (expanded = value) };
  const body = h('div', { class: 'sl-msg-body' }, payload(content, renderMarkdown, options));
  const toggle = button('Raw', () => {
    raw = !raw;
    toggle.textContent = raw ? 'Markdown' : 'Raw';
    body.replaceChildren(payload(content, raw ? codeBlock : renderMarkdown, { ...options, expanded }));
  }, { class: 'sl-raw-toggle', title: 'Switch between the text as written and as Markdown' });
  return { body, toggle };
}

function renderToolCall(c: ToolCall, info: CallInfo | undefined, actions: DetailActions): HTMLElement {
  const card = h('div', { class: 'sl-toolcall', attrs: c.id === null ? {} : { 'data-call-id': c.id } },
    h('div', { class: 'sl-toolcall-head' },
      h('span', { class: 'sl-toolcall-label' }, info ? `Tool call #${info.number}` : 'Tool call'),
      h('code', { class: 'sl-toolcall-name', attrs: { 'data-field': 'tool-name' } }, c.name),
      c.id === null ? null : h('code', { class: 'sl-call-id', attrs: { 'data-field': 'call-id' } }, c.id),
      copyButton(actions, () => c.arguments, 'tool arguments'),
    ),
    h('div', { class: 'sl-args', attrs: { 'data-field': 'arguments' } }, payload(c.arguments, jsonBlock)),
  );
  info?.elements.unshift(card);
  return card;
}

function linkOnHover(elements: HTMLElement[]): void {
  for (const el of elements) {
    el.addEventListener('mouseenter', () => elements.forEach((e) => e.classList.add('sl-linked')));
    el.addEventListener('mouseleave', () => elements.forEach((e) => e.classList.remove('sl-linked')));
  }
}

/** A tool span: which tool, which call it answers, what it was given and what it returned. */
export function renderToolExecution(tool: ToolExecution, actions: DetailActions): HTMLElement {
  const part = (field: string, label: string, text: string | null): HTMLElement =>
    h('div', { class: 'sl-tool-part', attrs: { 'data-field': field } },
      h('div', { class: 'sl-tool-part-head' }, h('span', { class: 'sl-role' }, label), text === null ? null : copyButton(actions, () => text, `tool ${field}`)),
      text === null ? h('div', { class: 'sl-empty' }, '(not recorded)') : payload(text, jsonBlock));
  return section('Tool', 'tool',
    h('div', { class: 'sl-tool-head' },
      h('code', { class: 'sl-toolcall-name', attrs: { 'data-field': 'tool-name' } }, tool.name),
      tool.callId === null ? null : h('span', null, 'call ', h('code', { class: 'sl-call-id', attrs: { 'data-field': 'call-id' } }, tool.callId))),
    part('arguments', 'Arguments', tool.arguments),
    part('result', 'Result', tool.result),
  );
}
