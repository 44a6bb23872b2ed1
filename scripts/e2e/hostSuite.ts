// Bundles the test-only companion extension (test/e2e/host-suite) and packs it into its own
// VSIX under .cache/e2e/host-suite/, apart from the product's dist/ and its VSIX.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createVSIX } from '@vscode/vsce';
import * as esbuild from 'esbuild';
import { cacheDir, repoRoot } from './codeServerCache';

const sourceDir = path.join(repoRoot, 'test', 'e2e', 'host-suite');

export interface HostSuiteBuild {
  /** The companion extension packed for `--install-extension`. */
  readonly vsix: string;
  /** The suite's runner for @vscode/test-electron's extensionTestsPath (exports run()). */
  readonly testsEntry: string;
  /** Suite files found in test/e2e/host-suite/suite. */
  readonly suiteFiles: readonly string[];
}

/**
 * Bundles the companion extension and the electron runner into `outDir` (a session's own folder,
 * so parallel sessions don't share files; default .cache/e2e/host-suite) and packs the VSIX unless `pack` is false.
 */
export async function buildHostSuite(options: { outDir?: string; pack?: boolean } = {}): Promise<HostSuiteBuild> {
  const outDir = options.outDir ?? path.join(cacheDir, 'host-suite');
  const extensionDir = path.join(outDir, 'extension');
  const suiteFiles = readdirSync(path.join(sourceDir, 'suite')).filter((name) => name.endsWith('.test.ts')).sort();
  if (suiteFiles.length === 0) throw new Error(`No *.test.ts files in ${path.join(sourceDir, 'suite')}`);

  rmSync(extensionDir, { recursive: true, force: true });
  mkdirSync(path.join(extensionDir, 'dist'), { recursive: true });
  copyFileSync(path.join(sourceDir, 'package.json'), path.join(extensionDir, 'package.json'));
  await esbuild.build({
    absWorkingDir: sourceDir,
    entryPoints: { extension: 'extension.ts', index: 'index.ts' },
    outdir: path.join(extensionDir, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    define: { HOST_SUITE_FILES: JSON.stringify(suiteFiles) },
    logLevel: 'warning',
    // mocha's parallel mode (worker files resolved at run time) is never used here.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });

  const vsix = path.join(outDir, 'spanlens-e2e-host-suite.vsix');
  if (options.pack !== false) {
    rmSync(vsix, { force: true });
    await createVSIX({ cwd: extensionDir, packagePath: vsix, dependencies: false, allowMissingRepository: true, skipLicense: true });
  }
  return { vsix, testsEntry: path.join(extensionDir, 'dist', 'index.js'), suiteFiles };
}
