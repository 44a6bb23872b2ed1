/**
 * A trace as one self-contained HTML file: the webview's own bundle (timeline and detail) inlined,
 * the trace embedded, no network access. Anyone can open it in a browser.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TraceBundle } from '../../shared/traceView.js';
import { standaloneHtml } from './webviewHtml.js';

export interface WebviewAssets {
  script: string;
  style: string;
}

/** The built webview (`main.js`, `main.css`) from `dir`, normally `dist/webview`. */
export function readWebviewAssets(dir: string): WebviewAssets {
  try {
    return { script: readFileSync(path.join(dir, 'main.js'), 'utf8'), style: readFileSync(path.join(dir, 'main.css'), 'utf8') };
  } catch (err) {
    throw new Error(`the built webview is missing from ${dir} (${(err as Error).message}); run "npm run build"`);
  }
}

export function traceHtml(bundle: TraceBundle, assets: WebviewAssets): string {
  const title = `${bundle.view.name || 'Trace'} · ${bundle.view.traceId} · Spanlens`;
  return standaloneHtml({ ...assets, bundle, title, nonce: randomBytes(16).toString('base64') });
}
