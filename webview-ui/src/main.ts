/**
 * Webview entry. In VS Code the page talks to the host through `acquireVsCodeApi()`; in the
 * exported HTML file there is no host, so a local API answers from the trace the file embeds.
 * Either way the page says `ready` once it listens, and the host (or the file) sends the trace.
 */
import './detail/detail.css';
import './styles.css';
import type { WebviewApi } from '../../src/shared/protocol.js';
import { TraceApp } from './app.js';
import { Channel, type PageMessage } from './channel.js';
import { localApi, readBundle } from './standalone.js';

declare function acquireVsCodeApi(): WebviewApi;

async function boot(): Promise<void> {
  const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
  let app: TraceApp | undefined;
  const pending: PageMessage[] = [];
  const deliver = (m: PageMessage): void => {
    if (app) app.handle(m);
    else pending.push(m);
  };
  let channel: Channel;
  if (typeof acquireVsCodeApi === 'function') {
    channel = new Channel(acquireVsCodeApi(), deliver);
    window.addEventListener('message', (e: MessageEvent<unknown>) => channel.receive(e.data));
  } else {
    const bundle = await readBundle(document);
    if (bundle instanceof Error) {
      const p = document.createElement('p');
      p.className = 'notice';
      p.textContent = bundle.message;
      root.replaceChildren(p);
      return;
    }
    // The local API posts its answers straight back into the channel, as the host's messages would arrive.
    channel = new Channel(localApi(bundle, (m) => channel.receive(m)), deliver);
  }
  app = new TraceApp(root, channel);
  for (const m of pending.splice(0)) app.handle(m);
  channel.notify('ready', {});
}

void boot();
