/**
 * The trace page's HTML: for VS Code's webview (script and style loaded from the extension's
 * dist/webview through `webview.cspSource`) and as one self-contained file (`spanlens export
 * --html`) with the script, the style and the trace inline. Pure: no `vscode` import.
 *
 * Both pages deny everything by default (CSP `default-src 'none'`); only our nonce'd script and
 * style run. @vscode-elements (Lit) styles its controls with constructable stylesheets, which CSP
 * does not gate, and sets inline styles through the CSSOM, which CSP allows: nothing more is needed.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BUNDLE_ELEMENT_ID, DETAILS_ELEMENT_ID, type TraceBundle } from '../../shared/traceView.js';

export interface WebviewHtmlOptions {
  nonce: string;
  /** `webview.cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
}

export interface StandaloneHtmlOptions {
  /** The built webview script (dist/webview/main.js). */
  script: string;
  /** The built webview style (dist/webview/main.css). */
  style: string;
  bundle: TraceBundle;
  title: string;
  nonce: string;
}

/** The id of the element holding the embedded trace (read by webview-ui/src/standalone.ts). */

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A nonce is ours, but it goes into a CSP source expression: keep it to base64 characters. */
function cleanNonce(nonce: string): string {
  const clean = nonce.replace(/[^A-Za-z0-9+/=_-]/g, '');
  if (clean.length < 16) throw new Error('webview nonce must hold at least 16 base64 characters');
  return clean;
}

/** CSP source lists are space separated: a cspSource with a space or `;` would add directives. */
function cleanSource(source: string): string {
  return source.replace(/[\s;,'"]/g, '');
}

/** The page both variants share: a CSP denying all but `directives`, and `#app` for the webview to fill. */
function page(directives: string[], head: string, body: string, title: string): string {
  const csp = ["default-src 'none'", ...directives, "base-uri 'none'", "form-action 'none'"].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="app"></div>
${body}
</body>
</html>
`;
}

export function webviewHtml(opts: WebviewHtmlOptions): string {
  const nonce = cleanNonce(opts.nonce);
  const src = cleanSource(opts.cspSource);
  return page(
    [`img-src ${src} data:`, `style-src ${src} 'nonce-${nonce}'`, `font-src ${src}`, `script-src 'nonce-${nonce}'`],
    `<link rel="stylesheet" nonce="${escapeHtml(nonce)}" href="${escapeHtml(opts.styleUri)}">`,
    `<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>`,
    opts.title,
  );
}

/**
 * One file that shows the trace with no network at all: `connect-src` and every other fetch
 * directive fall back to `default-src 'none'`; images only as data: URLs.
 */
export function standaloneHtml(opts: StandaloneHtmlOptions): string {
  const nonce = cleanNonce(opts.nonce);
  return page(
    ['img-src data:', `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`],
    `<meta name="referrer" content="no-referrer">\n<style nonce="${escapeHtml(nonce)}">${inlineText(opts.style, 'style')}</style>`,
    [
      `<script type="application/octet-stream" id="${BUNDLE_ELEMENT_ID}">${embedCompressed(opts.bundle.view)}</script>`,
      `<script type="application/octet-stream" id="${DETAILS_ELEMENT_ID}">${embedCompressed(opts.bundle.details)}</script>`,
      `<script nonce="${escapeHtml(nonce)}">${inlineText(opts.script, 'script')}</script>`,
    ].join('\n'),
    opts.title,
  );
}

/**
 * A value as JSON, raw-deflated, in base64 (no `<`, `&` or quote can occur): a tenth of the
 * bytes, so that the browser has little to read before the page shows the trace; the page
 * inflates it with `DecompressionStream`.
 */
export function embedCompressed(value: unknown): string {
  return deflateRawSync(Buffer.from(JSON.stringify(value)), { level: 6 }).toString('base64');
}

/** The value `embedCompressed` embedded. */
export function readCompressed(text: string): unknown {
  return JSON.parse(inflateRawSync(Buffer.from(text, 'base64')).toString('utf8'));
}

/**
 * Our own built script or style, inline. In a script, `<!--` and `<script` would put the HTML
 * parser in a state where `</script>` no longer ends the element (markdown-it holds `<!--` in a
 * regular expression): `\x3C` is `<` in every JS string, template and regular expression.
 */
function inlineText(text: string, tag: 'script' | 'style'): string {
  if (tag === 'style') return text.replace(/<\/(style)/gi, '<\\/$1');
  return text.replace(/<(!--|\/?script)/gi, '\\x3C$1');
}
