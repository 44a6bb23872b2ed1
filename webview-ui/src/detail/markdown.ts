/**
 * Message text as Markdown, safely: trace content is untrusted (a prompt can hold anything a user
 * or a web page typed). markdown-it escapes raw HTML (`html: false`); links are kept only for
 * http(s) and mailto (`javascript:`, `command:`, `data:`… stay plain text, since a `command:` link
 * runs a VS Code command); images become their alt text and URL, so nothing is fetched. The
 * output is then parsed inertly and checked against an allowlist, in case a rule above is missed.
 */
import MarkdownIt from 'markdown-it';
import { codeBlock, h } from './dom.js';

/** Beyond this, Markdown parsing could stall the pane: the text is shown as written instead. */
const MARKDOWN_MAX_CHARS = 200_000;

const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

const ALLOWED_TAGS = new Set([
  'A', 'BLOCKQUOTE', 'BR', 'CODE', 'DEL', 'EM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'LI', 'OL', 'P', 'PRE', 'S', 'SPAN',
  'STRONG', 'TABLE', 'TBODY', 'TD', 'TH', 'THEAD', 'TR', 'UL',
]);

export function isSafeUrl(url: string): boolean {
  return SAFE_URL.test(url);
}

function createMarkdown() {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true });
  // Only `https://…`/`mailto:` links are made from bare text, no guessing of `www.…`.
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
  md.validateLink = isSafeUrl;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const alt = self.renderInlineAsText(token.children ?? [], options, env);
    const src = token.attrGet('src') ?? '';
    const text = `[image${alt ? `: ${alt}` : ''}] ${src}`;
    return `<span class="sl-md-image">${md.utils.escapeHtml(text)}</span>`;
  };
  md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    tokens[idx]!.attrSet('rel', 'noopener noreferrer');
    return self.renderToken(tokens, idx, options);
  };
  // Table alignment as a class: a `style` attribute would break the webview's CSP.
  for (const rule of ['th_open', 'td_open']) {
    md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
      const token = tokens[idx]!;
      const align = /text-align:(left|right|center)/.exec(String(token.attrGet('style') ?? ''));
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      if (align) token.attrJoin('class', `sl-align-${align[1]}`);
      return self.renderToken(tokens, idx, options);
    };
  }
  return md;
}

// Built once: configuring markdown-it is the costly part, rendering is cheap.
const md = createMarkdown();

/** `text` rendered as Markdown into a `div.sl-md` (as plain text when it is huge). */
export function renderMarkdown(text: string): HTMLElement {
  if (text.length > MARKDOWN_MAX_CHARS) return codeBlock(text);
  // A <template>'s content is inert: nothing in it runs or loads while it is checked.
  const template = document.createElement('template');
  template.innerHTML = md.render(text);
  sanitize(template.content);
  const box = h('div', { class: 'sl-md' });
  box.append(template.content);
  return box;
}

/** Drops what markdown-it with the rules above should never produce: other tags, attributes and URLs. */
function sanitize(root: DocumentFragment): void {
  for (const el of Array.from(root.querySelectorAll('*'))) {
    // Inside an element already replaced by its text.
    if (!root.contains(el)) continue;
    if (!ALLOWED_TAGS.has(el.tagName) || (el.tagName === 'A' && !isSafeUrl(el.getAttribute('href') ?? ''))) {
      el.replaceWith(document.createTextNode(el.textContent ?? ''));
      continue;
    }
    for (const attr of Array.from(el.attributes)) {
      const keep = attr.name === 'class' || (el.tagName === 'A' && (attr.name === 'href' || attr.name === 'rel' || attr.name === 'title')) || (el.tagName === 'OL' && attr.name === 'start');
      if (!keep) el.removeAttribute(attr.name);
    }
    if (el.tagName === 'A') el.setAttribute('rel', 'noopener noreferrer');
  }
}
