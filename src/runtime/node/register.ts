/**
 * The ES module preload (`node --import dist/runtime/node/register.mjs`): registers the
 * import-in-the-middle loader hook so that `import OpenAI from 'openai'` gives the program a
 * module the instrumentations (set up by preload.cjs, which runs first) can patch.
 * Built as ESM; the build's banner defines `__filename` from `import.meta.url`.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ESM_INCLUDE } from './hookedModules';

register('./iitmHook.mjs', pathToFileURL(__filename), { data: { include: ESM_INCLUDE } });
