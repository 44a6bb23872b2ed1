/**
 * The detail pane's side of selection: asks for the selected span's detail and draws it with the
 * detail pane (webview-ui/src/detail), showing a failed request's error there. Replies that
 * arrive after the selection moved on are dropped.
 */
import type { DetailActions } from '../detail/actions.js';
import { renderDetail, renderDetailError } from '../detail/detailPane.js';
import type { Channel } from '../channel.js';

export class DetailView {
  private wanted: string | null = null;
  private readonly actions: DetailActions;

  constructor(private readonly container: HTMLElement, private readonly channel: Channel) {
    this.actions = {
      openFrame: (path, line, column) => channel.notify('openFrame', { path, line, column }),
      copyText: (text) => channel.notify('copyText', { text }),
    };
    this.clear();
  }

  clear(): void {
    this.wanted = null;
    const p = document.createElement('p');
    p.className = 'detail-empty';
    p.textContent = 'Select a span to see its detail.';
    this.container.replaceChildren(p);
  }

  /** Loads and shows `spanId`'s detail (again, when `force`: the trace was updated). */
  show(spanId: string, force = false): void {
    if (this.wanted === spanId && !force) return;
    this.wanted = spanId;
    this.container.setAttribute('aria-busy', 'true');
    this.channel.request('getDetail', { spanId }).then(
      (detail) => {
        if (this.wanted !== spanId) return;
        this.container.removeAttribute('aria-busy');
        renderDetail(this.container, detail, this.actions);
      },
      (error: unknown) => {
        if (this.wanted !== spanId) return;
        this.container.removeAttribute('aria-busy');
        renderDetailError(this.container, error instanceof Error ? error.message : String(error));
      },
    );
  }
}
