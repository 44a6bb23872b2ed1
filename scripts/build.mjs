// esbuild bundles: the host side (extension, CLI, store worker) and the webview.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const dist = path.join(root, 'dist');

mkdirSync(dist, { recursive: true });
// sql.js loads its WebAssembly from next to the bundle.
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dist, 'sql-wasm.wasm'));

const common = {
  external: ['sql.js/dist/sql-wasm.wasm'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const configs = [
  { ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The store runs in a worker thread of the extension host and of `spanlens serve`.
  { ...common, entryPoints: ['src/core/store/storeWorker.ts'], outfile: 'dist/storeWorker.js' },
  // The trace webview (timeline and span detail), for VS Code's webviews and the exported HTML file:
  // dist/webview/main.js and main.css.
  {
    entryPoints: ['webview-ui/src/main.ts'],
    outdir: 'dist/webview',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome114',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    absWorkingDir: root,
  },
];

if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  process.stdout.write('[build] watching for changes\n');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
