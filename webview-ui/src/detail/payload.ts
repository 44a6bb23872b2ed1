/**
 * Long payloads (a 1 MB prompt, a whole response JSON in an attribute) are cut to a head with a
 * "Show all" button, so that opening a span stays fast and the pane stays readable.
 */
import { button, h, numberText } from './dom.js';

export const MAX_CHARS = 4000;
export const MAX_LINES = 80;

/** Where to cut `text`: at MAX_CHARS or before line MAX_LINES + 1, whichever comes first; null when it fits. */
export function cutAt(text: string): number | null {
  let end = Math.min(text.length, MAX_CHARS);
  let newlines = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    if (++newlines === MAX_LINES) {
      end = i;
      break;
    }
  }
  return end < text.length ? end : null;
}

export interface PayloadOptions {
  /** Start with the whole text (the user already chose "Show all" on this payload). */
  expanded?: boolean;
  onExpandedChange?: (expanded: boolean) => void;
}

/**
 * `render(text)` in a box; when the text is long, `render(head)` with a note and a button that
 * swaps in `render(text)` (and back).
 */
export function payload(text: string, render: (text: string) => Node, options: PayloadOptions = {}): HTMLElement {
  const box = h('div', { class: 'sl-payload' });
  const cut = cutAt(text);
  if (cut === null) {
    box.append(render(text));
    return box;
  }
  const lines = countLines(text);
  const whole = `${numberText(text.length)} characters${lines > 1 ? `, ${numberText(lines)} lines` : ''}`;
  const showHead = (): void => {
    box.replaceChildren(
      render(text.slice(0, cut)),
      h('div', { class: 'sl-truncated' },
        h('span', { class: 'sl-truncated-note' }, `Showing ${numberText(cut)} of ${whole}.`),
        button('Show all', showAll, { class: 'sl-show-all' })),
    );
    options.onExpandedChange?.(false);
  };
  const showAll = (): void => {
    box.replaceChildren(render(text), h('div', { class: 'sl-truncated' }, button('Show less', showHead, { class: 'sl-show-less' })));
    options.onExpandedChange?.(true);
  };
  if (options.expanded) showAll();
  else showHead();
  return box;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
