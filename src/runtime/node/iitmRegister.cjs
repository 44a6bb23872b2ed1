'use strict';
// Copied to dist/runtime/node/lib/register.js, the module that import-in-the-middle's loader
// hook makes every wrapped ES module import. It forwards to the registry bundled in preload.cjs,
// where the instrumentations' hooks are.
const registry = globalThis[Symbol.for('spanlens.iitm.register')];
const missing = () => undefined;
exports.register = registry ? registry.register : missing;
exports.setExperimentalPatchInternals = registry && registry.setExperimentalPatchInternals ? registry.setExperimentalPatchInternals : missing;
