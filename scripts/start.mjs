// `npm start`: builds and packages Spanlens, then opens it in browser VS Code (code-server,
// installed into .cache/e2e/ on first use) on the examples/ folder, until Ctrl-C.
// The receiver keeps its standard ports (4318 HTTP, 4317 gRPC); the page is on PORT (default 8080).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { register } from 'tsx/cjs/api';

register();
const require = createRequire(import.meta.url);
const { CODE_SERVER_VERSION, cacheDir, ensureCodeServer, repoRoot } = require('./e2e/codeServerCache.ts');
const { createProfile, freePort, installExtensions, isPortFree, startCodeServer } = require('./e2e/codeServer.ts');

const say = (line) => process.stdout.write(`[start] ${line}\n`);

const [npm, ...npmArgs] = npmCommand();
const packaged = spawnSync(npm, [...npmArgs, 'run', 'package'], { cwd: repoRoot, stdio: 'inherit' });
if (packaged.status !== 0) {
  say('`npm run package` failed; not starting');
  process.exit(1);
}

const paths = await ensureCodeServer();
// A profile kept between runs, so layout and settings a developer changes survive a restart.
const profile = createProfile({ root: path.join(cacheDir, 'start'), keepSettings: true });
await installExtensions(paths, profile, [path.join(repoRoot, 'dist', 'spanlens.vsix')]);

const wanted = Number(process.env.PORT) || 8080;
const port = (await isPortFree(wanted)) ? wanted : await freePort();
if (port !== wanted) say(`port ${wanted} is taken; using ${port}`);
const workspace = path.join(repoRoot, 'examples');
const server = await startCodeServer({ paths, profile, workspace, port });

say(`Spanlens in VS Code ${vscodeVersion()} (code-server ${CODE_SERVER_VERSION}): ${server.url}`);
say(`workspace ${workspace}; server log ${server.logFile}`);
say('send a sample trace with `node examples/send-sample-trace.mjs`; Ctrl-C stops');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    void server.stop().then(() => process.exit(0));
  });
}
const exit = await server.exited;
if (!stopping) {
  say(`code-server stopped by itself (${exit.signal ?? `exit ${exit.code}`}); see ${server.logFile}`);
  await server.stop();
  process.exit(1);
}

function npmCommand() {
  // Under `npm start`, npm_execpath is the npm that started us; run its CLI with this Node.
  return process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
}

function vscodeVersion() {
  try {
    return require(path.join(paths.vscodeRoot, 'package.json')).version;
  } catch {
    return '';
  }
}
