/**
 * Small DOM builders for the span detail pane. Trace text only ever enters the page as text
 * nodes or attribute values (never parsed as HTML), except the sanitized Markdown of markdown.ts.
 */
import type { DetailActions } from './actions.js';

export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  /** `data-*` and ARIA attributes; values are set with setAttribute, so they are never parsed. */
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  if (props?.title) el.title = props.title;
  for (const [name, value] of Object.entries(props?.attrs ?? {})) el.setAttribute(name, value);
  append(el, children);
  return el;
}

export function append(parent: Node & ParentNode, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A plain button (no webview toolkit needed), with its click handler. */
export function button(label: string, onClick: () => void, props: Props = {}): HTMLButtonElement {
  const b = h('button', { ...props, class: `sl-btn ${props.class ?? ''}`.trim() }, label);
  b.type = 'button';
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick();
  });
  return b;
}

/** A "Copy" button that hands `text()` to the host (the webview has no clipboard of its own). */
export function copyButton(actions: DetailActions, text: () => string, what: string, label = 'Copy'): HTMLButtonElement {
  return button(label, () => actions.copyText(text()), { class: 'sl-copy', title: `Copy ${what}`, attrs: { 'aria-label': `Copy ${what}` } });
}

/** A titled section of the pane. */
export function section(title: string, name: string, ...children: Child[]): HTMLElement {
  return h('section', { class: `sl-section sl-section-${name}`, attrs: { 'data-section': name } }, h('h3', { class: 'sl-section-title' }, title), ...children);
}

/** Past this length, a code block is laid out in pieces of CHUNK_CHARS (see codeBlock). */
const CHUNKED_ABOVE = 2 * 1024 * 1024;
const CHUNK_CHARS = 16_384;

/**
 * Text in the editor font, kept as written (whitespace and line breaks). A text of megabytes (a
 * 10 MB single line from a trace) goes in blocks of CHUNK_CHARS that the browser lays out only
 * when on screen (`content-visibility: auto`): laying out megabytes at once hangs the page for
 * seconds. The blocks stay in the DOM, so find in page and selection still see all of the text.
 */
export function codeBlock(text: string): HTMLElement {
  if (text.length <= CHUNKED_ABOVE) return h('pre', { class: 'sl-code' }, h('code', null, text));
  const code = h('code', { class: 'sl-chunked' });
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + CHUNK_CHARS);
    // Never between the halves of a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    code.append(h('span', { class: 'sl-chunk' }, text.slice(start, end)));
    start = end;
  }
  return h('pre', { class: 'sl-code' }, code);
}

/** `{"city":"Paris"}` → indented JSON; null when the text is not JSON (then it is shown as is). */
export function prettyJson(text: string): string | null {
  const trimmed = text.trim();
  // Only objects and arrays gain from indenting; a bare number or string is shown as written.
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return null;
  }
}

/** A JSON-looking text indented when it parses, else as written. */
export function jsonBlock(text: string): HTMLElement {
  return codeBlock(prettyJson(text) ?? text);
}

export function numberText(n: number): string {
  return n.toLocaleString('en-US');
}
