/** Exceptions recorded on the span, their stack frames linked to the source they name. */
import type { SpanException, StackFrame } from '../../../src/shared/traceView.js';
import type { DetailActions } from './actions.js';
import { button, copyButton, h, section } from './dom.js';
import { MAX_LINES } from './payload.js';

/** A printed frame is one line; a longer one is junk or hostile, and is cut. */
const FRAME_MAX_CHARS = 1000;

export function renderExceptions(exceptions: SpanException[], actions: DetailActions): HTMLElement | null {
  if (!exceptions.length) return null;
  return section(exceptions.length === 1 ? 'Exception' : `Exceptions (${exceptions.length})`, 'exceptions',
    ...exceptions.map((e) => renderException(e, actions)));
}

function renderException(e: SpanException, actions: DetailActions): HTMLElement {
  const title = [e.type, e.message].filter(Boolean).join(': ') || 'Exception';
  const stack = h('ol', { class: 'sl-stack' });
  const box = h('div', { class: 'sl-exception' },
    h('div', { class: 'sl-exception-head' },
      h('span', { class: 'sl-error', attrs: { 'data-field': 'exception' } }, title),
      e.frames.length ? copyButton(actions, () => [title, ...e.frames.map((f) => f.text)].join('\n'), 'stack trace') : null),
    stack);
  const show = (frames: StackFrame[]): void => stack.replaceChildren(...frames.map((f) => frameItem(f, actions)));
  // A deep recursion prints thousands of frames: the first ones tell the story.
  if (e.frames.length > MAX_LINES) {
    show(e.frames.slice(0, MAX_LINES));
    const more = button(`Show all ${e.frames.length} frames`, () => {
      show(e.frames);
      more.remove();
    }, { class: 'sl-show-all' });
    box.append(h('div', { class: 'sl-truncated' }, more));
  } else {
    show(e.frames);
  }
  return box;
}

function frameItem(f: StackFrame, actions: DetailActions): HTMLElement {
  if (f.path === null) return h('li', { class: 'sl-frame' }, h('code', null, f.text.length > FRAME_MAX_CHARS ? `${f.text.slice(0, FRAME_MAX_CHARS)}…` : f.text));
  const path = f.path;
  const where = `${path}${f.line === null ? '' : `:${f.line}`}${f.column === null ? '' : `:${f.column}`}`;
  const text = f.text.trim();
  const link = button(text.length > FRAME_MAX_CHARS ? `${text.slice(0, FRAME_MAX_CHARS)}…` : text, () => actions.openFrame(path, f.line, f.column), {
    class: 'sl-frame-link', title: `Open ${where}`, attrs: { 'data-path': path },
  });
  return h('li', { class: 'sl-frame' }, link);
}
