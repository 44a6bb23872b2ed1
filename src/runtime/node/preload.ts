/**
 * The CommonJS preload (`node --require dist/runtime/node/preload.cjs`), run in the user's
 * program before its own code. Registers a tracer provider that exports to Spanlens (or hands
 * spans to the program's own provider once it registers one), the OpenLLMetry instrumentations
 * (patching the program's copies of the SDKs), call-site capture and a flush at exit.
 * Everything here is bundled: nothing is resolved from the program's node_modules.
 */
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, detectResources, envDetector } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { GenAIInstrumentation } from '@traceloop/instrumentation-google-generativeai';
import { SpanlensAnthropicInstrumentation } from './anthropicGaps';
import { SpanlensOpenAIInstrumentation } from './openaiGaps';
import IitmHook from 'import-in-the-middle';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hook as RitmHook } from 'require-in-the-middle';
import { exportUnsentAtExit, RunSpanProcessor } from './exportProcessor';
import { installExitFlush } from './flush';
import { hookLangChain } from './langChainHook';
import { StackCaptureProcessor, recordCallSite } from './stackCapture';
import { patchApi, SwitchProvider, type ApiExports } from './switchProvider';

const LOADED = Symbol.for('spanlens.preload');
/** Where dist/runtime/node/lib/register.js (the ESM loader's wrappers) finds the hook registry. */
const IITM_REGISTRY = Symbol.for('spanlens.iitm.register');

type Global = typeof globalThis & { [LOADED]?: boolean; [IITM_REGISTRY]?: unknown };

function start(): void {
  const g = globalThis as Global;
  if (g[LOADED]) return;
  g[LOADED] = true;
  // The same registry instance the bundled import-in-the-middle Hook adds its hooks to.
  g[IITM_REGISTRY] = require('import-in-the-middle/lib/register.js') as unknown;
  // Node then keeps the source maps of modules it loads (TypeScript through tsx), for call sites.
  process.setSourceMapsEnabled(true);

  const langChainBundle = path.join(__dirname, 'langchain.cjs');
  const skipFiles = new Set([__filename, pathToFileURL(__filename).href, langChainBundle, pathToFileURL(langChainBundle).href]);
  const exporting = new RunSpanProcessor(new OTLPTraceExporter(), Number(process.env.OTEL_BSP_SCHEDULE_DELAY) || 200);
  const own = new NodeTracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new StackCaptureProcessor(skipFiles), exporting],
  });
  const switcher = new SwitchProvider(own, (span: Span) => recordCallSite(span as unknown as Parameters<typeof recordCallSite>[0], skipFiles));

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(switcher);

  // The program's own `@opentelemetry/api`: a provider it registers is adopted, not refused.
  const onApi = (exports: ApiExports): ApiExports => {
    patchApi(exports, switcher);
    return exports;
  };
  new RitmHook(['@opentelemetry/api'], { internals: false }, <T>(exports: T): T => {
    onApi(exports as ApiExports);
    return exports;
  });
  new IitmHook(['@opentelemetry/api'], {}, (exports: unknown) => {
    onApi(exports as ApiExports);
  });

  const instrumentations: Instrumentation[] = [new SpanlensOpenAIInstrumentation(), new SpanlensAnthropicInstrumentation(), new GenAIInstrumentation()];
  registerInstrumentations({ instrumentations, tracerProvider: switcher });
  hookLangChain(langChainBundle, switcher, skipFiles, (m) => process.stderr.write(`[spanlens] ${m}\n`));

  installExitFlush(() => switcher.forceFlush());
  exportUnsentAtExit(exporting);
}

try {
  start();
} catch (err) {
  // Tracing must never stop the program from running.
  process.stderr.write(`[spanlens] tracing is off for this process: ${err instanceof Error ? err.message : String(err)}\n`);
}
