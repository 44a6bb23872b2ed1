// `node scripts/e2e/setup.mjs`: installs (or checks) the pinned code-server and Node 24 in .cache/e2e/.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
const { ensureCodeServer, CODE_SERVER_VERSION, NODE_VERSION } = createRequire(import.meta.url)('./codeServerCache.ts');

const started = Date.now();
const paths = await ensureCodeServer();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(`code-server ${CODE_SERVER_VERSION} on Node ${NODE_VERSION} ready in ${seconds}s: ${paths.entry}\n`);
