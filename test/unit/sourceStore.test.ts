/** The store worker's source ops: `traceSources` builds and keeps a workspace's index, `workspaceChanged` updates it. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StoreClient } from '../../src/core/store/storeClient.js';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'source');
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const temp = mkdtempSync(path.join(tmpdir(), 'spanlens-source-store-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('store worker: traceSources and workspaceChanged', () => {
  it('resolves a stored trace against a workspace, and follows edits to its files', async () => {
    const workspace = path.join(temp, 'ws');
    cpSync(path.join(FIXTURES, 'ts'), workspace, { recursive: true });
    const client = await StoreClient.open();
    try {
      await client.importOtlp(readFileSync(path.join(FIXTURES, 'cliTrace.json')));
      const sources = await client.traceSources(TRACE_ID, workspace);
      assert.equal(Object.keys(sources).length, 6);
      assert.deepEqual(sources['0000000000000004'], { path: path.join(workspace, 'src/tools/weather.ts'), line: 6, column: 3, function: 'getWeather', method: 'attribute', confidence: 1, inherited: false });
      assert.equal(sources['0000000000000001']?.line, 7);
      assert.equal(sources['0000000000000006'], null);

      // The workflow moves down two lines; the worker's index learns it from the change.
      const agent = path.join(workspace, 'src/agent.ts');
      writeFileSync(agent, `// moved\n// down\n${readFileSync(agent, 'utf8')}`);
      await client.workspaceChanged(workspace, [agent]);
      const after = await client.traceSources(TRACE_ID, workspace);
      assert.equal(after['0000000000000001']?.line, 9);
      assert.equal(after['0000000000000002']?.line, 10);

      await assert.rejects(client.traceSources('0123456789abcdef0123456789abcdef', workspace), /no trace/);
      // A workspace never asked about is not indexed just because its files changed.
      await client.workspaceChanged(path.join(temp, 'other'), ['a.ts']);
    } finally {
      await client.close();
    }
  });
});
