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
// sql.js is loaded from next to the bundle, afresh for each store (see src/core/store/sqlite.ts).
for (const file of ['sql-wasm.js', 'sql-wasm.wasm']) copyFileSync(require.resolve(`sql.js/dist/${file}`), path.join(dist, file));
mkdirSync(path.join(dist, 'runtime', 'python'), { recursive: true }); copyFileSync(path.join(root, 'src/runtime/python/sitecustomize.py'), path.join(dist, 'runtime', 'python', 'sitecustomize.py')); // the Python bootstrap

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
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [besideCli('./cliReceiver.js')] },
  // The receiver and the store client, loaded by the CLI's serve and run only (gRPC is half the code).
  { ...common, entryPoints: ['src/cliReceiver.ts'], outfile: 'dist/cliReceiver.js' },
  // The store runs in a worker thread of the extension host and of `spanlens serve`.
  { ...common, entryPoints: ['src/core/store/storeWorker.ts'], outfile: 'dist/storeWorker.js' },
  ...runtimeNodeConfigs(),
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

/** Leaves the import of `file` (a bundle of its own beside dist/cli.js) to run time. */
function besideCli(file) {
  const filter = new RegExp(`^${file.replaceAll('.', '\\.')}$`);
  return { name: 'beside-cli', setup: (build) => build.onResolve({ filter }, () => ({ path: file, external: true })) };
}

/**
 * The Node preload run inside the user's program (`spanlens run`): the OTel SDK, the exporter and
 * the instrumentations are bundled in; only the SDKs they patch come from the program.
 */
function runtimeNodeConfigs() {
  const out = path.join(dist, 'runtime', 'node');
  mkdirSync(path.join(out, 'lib'), { recursive: true });
  // import-in-the-middle's loader makes each wrapped module import lib/register.js next to the hook.
  copyFileSync(path.join(root, 'src/runtime/node/iitmRegister.cjs'), path.join(out, 'lib', 'register.js'));
  // One copy of the instrumentation base and its hooks for all instrumentations (each of them
  // ships its own nested copy): the ESM hook registry above must be a single one.
  const instrDir = path.join(root, 'node_modules/@traceloop/instrumentation-openai');
  const single = /^(@opentelemetry\/instrumentation|import-in-the-middle|require-in-the-middle)(\/.*)?$/;
  const dedupe = {
    name: 'dedupe-instrumentation',
    setup(build) {
      // Token counting for streams (the instrumentation's `enrichTokens`, off by default) would
      // add 5 MB of encodings to every traced program's start-up.
      build.onResolve({ filter: /^js-tiktoken$/ }, () => ({ path: 'js-tiktoken', namespace: 'stub' }));
      build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
        contents: "exports.encodingForModel = () => { throw new Error('token counting is not bundled'); };",
        loader: 'js',
      }));
      build.onResolve({ filter: single }, (args) => {
        if (args.pluginData === 'dedupe') return undefined;
        return build.resolve(args.path, { kind: args.kind, resolveDir: instrDir, pluginData: 'dedupe' });
      });
    },
  };
  // ES module builds where packages have them: esbuild can then drop what is not used.
  const base = { ...common, external: [], sourcemap: false, minify: true, plugins: [dedupe], mainFields: ['module', 'main'] };
  const esmRequire = "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url);";
  return [
    { ...base, entryPoints: ['src/runtime/node/preload.ts'], outfile: 'dist/runtime/node/preload.cjs' },
    // Loaded by the preload against the program's own @langchain/core (src/runtime/node/langChainHook.ts).
    { ...base, entryPoints: ['src/runtime/node/langchain.ts'], outfile: 'dist/runtime/node/langchain.cjs', external: ['@langchain/core', '@langchain/core/*'] },
    { ...base, entryPoints: ['src/runtime/node/register.ts'], outfile: 'dist/runtime/node/register.mjs', format: 'esm', banner: { js: esmRequire } },
    {
      ...base,
      entryPoints: [require.resolve('import-in-the-middle/hook.mjs', { paths: [instrDir] })],
      outfile: 'dist/runtime/node/iitmHook.mjs',
      format: 'esm',
      banner: { js: esmRequire },
    },
  ];
}

if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  process.stdout.write('[build] watching for changes\n');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
