/** Which modules the preload patches, shared by the CommonJS preload and the ES module loader hook. */

/**
 * `@langchain/core/callbacks/manager` in `@langchain/core` 1.x: the file behind it, as the ES
 * module loader resolves it (`.js`) and as `require` does (`.cjs`, often first reached by a
 * relative require inside the package).
 */
export const LANGCHAIN_MANAGER_ESM = /[\\/]@langchain[\\/]core[\\/]dist[\\/]callbacks[\\/]manager\.js$/;
export const LANGCHAIN_MANAGER = /[\\/]@langchain[\\/]core[\\/]dist[\\/]callbacks[\\/]manager\.c?js$/;

/**
 * The ES modules import-in-the-middle wraps. Only those something is patched in: wrapping every
 * module costs start-up time and can break modules with unusual exports.
 */
export const ESM_INCLUDE: (string | RegExp)[] = ['openai', '@anthropic-ai/sdk', '@google/genai', '@opentelemetry/api', LANGCHAIN_MANAGER_ESM];
