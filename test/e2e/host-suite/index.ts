// extensionTestsPath entry for @vscode/test-electron (npm run test:electron): the same suite
// the companion extension runs in code-server.
import { runOrThrow } from './runner';

export function run(): Promise<void> {
  return runOrThrow();
}
