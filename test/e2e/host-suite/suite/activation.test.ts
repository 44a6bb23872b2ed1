// Spanlens in a real extension host: it activates by itself on startup and registers its commands.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { SPANLENS_ID, waitForActivation } from '../support/spanlens';

const CONTRIBUTED_COMMANDS = ['spanlens.copyEndpoint', 'spanlens.restartReceiver', 'spanlens.clearAll', 'spanlens.importFile', 'spanlens.exportTrace'];

describe('Spanlens activation', () => {
  it('is installed and becomes active on startup without being asked', async () => {
    const extension = vscode.extensions.getExtension(SPANLENS_ID);
    assert.ok(extension, `${SPANLENS_ID} should be installed`);
    await waitForActivation();
    assert.equal(extension.isActive, true);
  });

  it('registers the commands it contributes', async () => {
    await waitForActivation();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = CONTRIBUTED_COMMANDS.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });
});
