// Import and export through the commands, in a real extension host, against the store worker.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { waitForActivation } from '../support/spanlens';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

function otlpFile(dir: string): string {
  const span = (spanId: string, parentSpanId: string, name: string, attributes: { key: string; value: Record<string, unknown> }[]) => ({
    traceId: TRACE_ID, spanId, parentSpanId, name, kind: 3, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000', attributes, status: {},
  });
  const request = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'host-suite' } }] },
      scopeSpans: [{ scope: { name: 'test' }, spans: [
        span('b7ad6b7169203331', '', 'answer', []),
        span('00f067aa0ba902b7', 'b7ad6b7169203331', 'chat gpt-4o-mini', [
          { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
          { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
          { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
          { key: 'gen_ai.usage.output_tokens', value: { intValue: '20' } },
        ]),
      ] }],
    }],
  };
  const file = path.join(dir, 'trace.otlp.json');
  writeFileSync(file, JSON.stringify(request));
  return file;
}

describe('Spanlens import and export commands', () => {
  it('imports an OTLP JSON file, exports the trace again, and clears it', async () => {
    await waitForActivation();
    const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-host-'));
    await vscode.commands.executeCommand('spanlens.clearAll');
    const summary = await vscode.commands.executeCommand<string[]>('spanlens.importFile', [vscode.Uri.file(otlpFile(dir))]);
    assert.deepEqual(summary, ['2 spans in 1 traces']);

    const target = vscode.Uri.file(path.join(dir, 'exported.json'));
    const written = await vscode.commands.executeCommand<string>('spanlens.exportTrace', TRACE_ID, target);
    assert.equal(written, target.fsPath);
    const exported = JSON.parse(readFileSync(target.fsPath, 'utf8').split('\n')[0]!);
    const spans = exported.resourceSpans[0].scopeSpans[0].spans as { name: string; traceId: string }[];
    assert.deepEqual(spans.map((s) => s.name).sort(), ['answer', 'chat gpt-4o-mini']);
    assert.ok(spans.every((s) => s.traceId === TRACE_ID));

    const cleared = await vscode.commands.executeCommand<number>('spanlens.clearAll');
    assert.equal(cleared, 2);
  });
});
