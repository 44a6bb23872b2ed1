// Helpers for suite files: find the product extension and wait for it, bounded in time.
import * as vscode from 'vscode';

export const SPANLENS_ID = 'spanlens.spanlens';

/** The installed Spanlens extension once its activation (on startup) has finished. */
export async function waitForActivation(timeoutMs = 20_000): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(SPANLENS_ID);
  if (!extension) throw new Error(`${SPANLENS_ID} is not installed in this extension host`);
  await waitFor(`${SPANLENS_ID} to activate`, () => extension.isActive, timeoutMs);
  return extension;
}

/** Polls `check` every 100 ms until it is true; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** The receiver's OTLP/HTTP port, from the endpoint the extension copies; `restart` restarts the receiver first. */
export async function receiverPort(options: { restart?: boolean } = {}): Promise<number> {
  if (options.restart) await vscode.commands.executeCommand('spanlens.restartReceiver');
  const line = await vscode.commands.executeCommand<string | undefined>('spanlens.copyEndpoint');
  const port = Number(/:(\d+)$/.exec(line ?? '')?.[1]);
  if (!(port > 0)) throw new Error(`no receiver endpoint: ${line}`);
  return port;
}
