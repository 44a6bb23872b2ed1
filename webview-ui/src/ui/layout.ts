/**
 * The page's frame: a toolbar (trace name, filter field, errors-only toggle), the timeline pane
 * (minimap, time axis, rows) and the detail pane behind a draggable splitter. Controls come from
 * @vscode-elements so they look like VS Code's own; the rest is plain DOM.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';

export interface Layout {
  title: HTMLElement;
  count: HTMLElement;
  filter: HTMLElement & { value: string };
  errorsOnly: HTMLElement & { checked: boolean };
  pane: HTMLElement;
  minimapHost: HTMLElement;
  axisHost: HTMLElement;
  rowsHost: HTMLElement;
  detail: HTMLElement;
  /** Shown over the page when there is nothing to draw (no trace yet, a broken file). */
  notice: HTMLElement;
}

export const LABEL_WIDTH_VAR = '--label-width';
const MIN_DETAIL = 200;

export function buildLayout(root: HTMLElement, detailWidth: number, onDetailWidth: (px: number) => void): Layout {
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent?: HTMLElement): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    e.className = className;
    parent?.append(e);
    return e;
  };
  root.replaceChildren();
  root.classList.add('spanlens');
  const toolbar = make('div', 'toolbar', root);
  const title = make('span', 'trace-title', toolbar);
  const count = make('span', 'trace-count', toolbar);
  const filter = document.createElement('vscode-textfield') as HTMLElement & { value: string };
  filter.className = 'filter';
  filter.setAttribute('placeholder', 'Filter spans (name, service, model…)');
  filter.setAttribute('aria-label', 'Filter spans');
  const errorsOnly = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  errorsOnly.className = 'errors-only';
  errorsOnly.setAttribute('label', 'Errors only');
  toolbar.append(filter, errorsOnly);

  const main = make('div', 'main', root);
  const pane = make('div', 'timeline', main);
  const overview = make('div', 'overview', pane);
  make('div', 'gutter', overview).textContent = 'Overview';
  const minimapHost = make('div', 'minimap', overview);
  const axisRow = make('div', 'axis-row', pane);
  make('div', 'gutter', axisRow).textContent = 'Span';
  const axisHost = make('div', 'axis-host', axisRow);
  const rowsHost = make('div', 'rows-host', pane);
  const splitter = make('div', 'splitter', main);
  splitter.setAttribute('role', 'separator');
  splitter.setAttribute('aria-orientation', 'vertical');
  const detail = make('div', 'detail-pane', main);
  detail.setAttribute('aria-live', 'polite');
  const notice = make('div', 'notice', root);
  notice.hidden = true;

  const setWidth = (px: number): void => {
    const w = Math.round(Math.min(Math.max(MIN_DETAIL, px), Math.max(MIN_DETAIL, root.clientWidth - 300)));
    detail.style.width = `${w}px`;
  };
  setWidth(detailWidth);
  splitter.addEventListener('pointerdown', (e) => {
    splitter.setPointerCapture(e.pointerId);
    const move = (m: PointerEvent): void => setWidth(main.getBoundingClientRect().right - m.clientX);
    const up = (): void => {
      splitter.removeEventListener('pointermove', move);
      splitter.removeEventListener('pointerup', up);
      onDetailWidth(detail.getBoundingClientRect().width);
    };
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', up);
  });
  return { title, count, filter, errorsOnly, pane, minimapHost, axisHost, rowsHost, detail, notice };
}
