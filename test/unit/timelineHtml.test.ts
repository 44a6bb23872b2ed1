// The trace page's HTML: CSP, nonces and escaping for the VS Code webview and the exported file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, readCompressed, standaloneHtml, webviewHtml } from '../../src/core/views/webviewHtml.js';
import { traceBundle } from '../../src/core/views/traceView.js';
import { makeTrace } from '../helpers/spans.js';

const NONCE = 'abcdefghijklmnopqrstuvwx';
const csp = (html: string): string => /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1]!.replace(/&#39;/g, "'");

describe('webview HTML', () => {
  it('allows only our nonce’d script and the webview’s own resources', () => {
    const html = webviewHtml({ nonce: NONCE, cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/main.js?a=1&b=2', styleUri: 'https://x/main.css', title: '<b>t</b>' });
    assert.equal(
      csp(html),
      `default-src 'none'; img-src https://file+.vscode-resource.vscode-cdn.net data:; style-src https://file+.vscode-resource.vscode-cdn.net 'nonce-${NONCE}'; font-src https://file+.vscode-resource.vscode-cdn.net; script-src 'nonce-${NONCE}'; base-uri 'none'; form-action 'none'`,
    );
    assert.ok(html.includes(`<script nonce="${NONCE}" src="https://x/main.js?a=1&#38;b=2"></script>`));
    assert.ok(html.includes('<title>&#60;b&#62;t&#60;/b&#62;</title>'));
    assert.ok(html.includes('<div id="app"></div>'));
  });

  it('refuses a nonce or source that could widen the policy', () => {
    assert.throws(() => webviewHtml({ nonce: "'unsafe-inline'", cspSource: 'x', scriptUri: '', styleUri: '', title: '' }));
    const html = webviewHtml({ nonce: NONCE, cspSource: "https://a; script-src 'unsafe-inline'", scriptUri: '', styleUri: '', title: '' });
    assert.equal(csp(html).includes("'unsafe-inline'"), false);
    assert.equal(csp(html).split(';').length, 7, 'no directive added');
  });

  it('makes one file with the trace embedded where no text can end its element', () => {
    const spans = makeTrace(3);
    spans[1]!.name = '</script><script>alert(1)</script>\u2028<!--';
    const bundle = traceBundle('t', spans, []);
    const html = standaloneHtml({ script: 'let s = "</script><!--<script>";', style: 'a::after{content:"</style>"}', bundle, title: 'T', nonce: NONCE });
    assert.equal(csp(html), `default-src 'none'; img-src data:; style-src 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; base-uri 'none'; form-action 'none'`);
    // Exactly three script elements (the view, the details and ours) and one style element end where they should.
    assert.equal(html.match(/<\/script>/g)!.length, 3);
    assert.equal(html.match(/<\/style>/g)!.length, 1);
    assert.ok(html.includes('let s = "\\x3C/script>\\x3C!--\\x3Cscript>";'));
    const embedded = (id: string): unknown => readCompressed(new RegExp(`id="${id}">([A-Za-z0-9+/=]*)</script>`).exec(html)![1]!);
    assert.deepEqual(embedded('spanlens-trace'), JSON.parse(JSON.stringify(bundle.view)));
    assert.deepEqual(embedded('spanlens-details'), JSON.parse(JSON.stringify(bundle.details)));
    assert.equal(escapeHtml(`<a href="x">'&`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;');
  });
});
