/**
 * The ES module preload (`node --import dist/runtime/node/register.mjs`): registers the
 * import-in-the-middle loader hook so that `import OpenAI from 'openai'` gives the program a
 * module the instrumentations (set up by preload.cjs, which runs first) can patch.
 * Built as ESM; the build's banner defines `__filename` from `import.meta.url`.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

// Only the modules something is patched in are wrapped: wrapping every module costs start-up
// time and can break modules with unusual exports.
const include = ['openai', '@anthropic-ai/sdk', '@opentelemetry/api'];

register('./iitmHook.mjs', pathToFileURL(__filename), { data: { include } });
