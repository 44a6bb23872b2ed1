// Spans the core's workspace index cannot place (here, code in a language it does not read) are
// placed through the editor's own workspace symbol providers. The provider registered below
// plays a language extension for `.golite` files: it reports the function definitions it
// finds in them, as any language server does.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { after, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { receiverPort, waitFor, waitForActivation } from '../support/spanlens';

const SOURCE = ['package trips', '', '// PlanTrip asks the model for an itinerary.', 'func PlanTrip(city string) string {', '  return llm.Chat("Plan a day in " + city)', '}', ''].join('\n');
/** 1-based line of `func PlanTrip` in SOURCE. */
const DEFINITION_LINE = 4;

/** What a language server for the file type answers: `func NAME` definitions matching the query. */
function golitSymbols(root: string): vscode.WorkspaceSymbolProvider {
  return {
    provideWorkspaceSymbols(query: string): vscode.SymbolInformation[] {
      const file = path.join(root, 'symbols-e2e', 'trips.golite');
      return readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => {
          const name = /^func (\w+)/.exec(line)?.[1];
          return name && name.includes(query) ? [new vscode.SymbolInformation(name, vscode.SymbolKind.Function, '', new vscode.Location(vscode.Uri.file(file), new vscode.Position(i, 0)))] : [];
        });
    },
  };
}

describe('Spanlens places calls through the editor’s symbol providers', () => {
  const disposables: vscode.Disposable[] = [];
  after(async () => {
    disposables.forEach((d) => d.dispose());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('puts the lens of a call made under an entity span on the definition a provider reports, marked as a guess', async () => {
    await waitForActivation();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the suite needs a workspace folder');
    const file = path.join(root, 'symbols-e2e', 'trips.golite');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, SOURCE);
    disposables.push(vscode.languages.registerWorkspaceSymbolProvider(golitSymbols(root)));

    // An OpenLLMetry-style workflow span names the function; the LLM call under it has no code attributes.
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'spanlens-symbols-e2e' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${await receiverPort()}/v1/traces`, timeoutMillis: 5_000 }))],
    });
    const tracer = provider.getTracer('symbols-e2e');
    const t0 = Date.now() - 1_000;
    const workflow = tracer.startSpan('PlanTrip.workflow', { startTime: t0, attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'PlanTrip' } });
    tracer
      .startSpan('chat gpt-4o-mini', { startTime: t0 + 5, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 9, 'gen_ai.usage.output_tokens': 40 } }, trace.setSpan(ROOT_CONTEXT, workflow))
      .end(t0 + 600);
    workflow.end(t0 + 650);
    await provider.forceFlush();
    await provider.shutdown();

    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    let lenses: vscode.CodeLens[] = [];
    await waitFor('a lens on the definition', async () => {
      lenses = ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? []).filter((l) => l.command?.command === 'spanlens.openCallSite');
      return lenses.length > 0;
    }, 15_000);
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0]!.range.start.line, DEFINITION_LINE - 1);
    // A name match is a guess: never shown as exact.
    assert.match(lenses[0]!.command!.title, /^gpt-4o-mini · \d+ ms · 49 tok · .* · (likely|possible)$/);
  });
});
