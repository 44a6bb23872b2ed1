/**
 * Built on its own (dist/runtime/node/langchain.cjs) with `@langchain/core` left out of the
 * bundle: OpenLLMetry's LangChain callback handler subclasses `BaseCallbackHandler`, so it must be
 * built against the program's own copy. The preload loads this file with the module paths of
 * that copy (see langChainHook.ts), once per copy.
 *
 * The handler is OpenLLMetry's (0.27); how it is attached is ours. Its instrumentation replaces
 * the callbacks a nested run inherits with its handler alone, dropping the program's own
 * handlers and each run's parent, and starts every span as a root. Here the handler is added
 * to each callback manager LangChain configures, next to what is there, and each run's span
 * starts as the child of its parent run's span: a chain, its steps, model calls and tools form
 * one trace, in the program's trace when it has one.
 *
 * Run spans start in callbacks, after LangChain's own awaits, where the program's frame is often
 * gone from the stack. The program's line is taken where it still is: when LangChain configures
 * the callbacks of a new run tree, synchronously inside the program's `invoke(` call; every span
 * of that tree that has no line of its own gets it.
 */
import { context, trace, type Span, type TracerProvider } from '@opentelemetry/api';
import { TraceloopCallbackHandler } from '@traceloop/instrumentation-langchain';
import { captureUserLocation, codeAttributes, type CodeLocation } from './stackCapture';

export interface LangChainPatcher {
  /** Adds the tracing handler to a `@langchain/core/callbacks/manager` module (CommonJS or ES). */
  patch(callbackManagerModule: unknown): void;
}

interface Manager {
  handlers: { name?: string }[];
  addHandler(handler: unknown, inherit?: boolean): void;
}
type Configure = (this: unknown, ...args: unknown[]) => Manager | undefined;
const CALL_SITE = Symbol('spanlens.callSite');
interface Handler {
  spans: Map<string, { span: Span & { attributes?: Record<string, unknown> } }>;
  [CALL_SITE]?: CodeLocation | null;
}
type HandlerMethod = (this: Handler, ...args: unknown[]) => unknown;

const HANDLER_NAME = 'traceloop_callback_handler';
const PATCHED = Symbol.for('spanlens.langchain.patched');
/** @langchain/core 1.x calls every start method with the run id third and its parent's fourth. */
const STARTS = ['handleChainStart', 'handleChatModelStart', 'handleLLMStart', 'handleToolStart'];
const ENDS = ['handleChainEnd', 'handleChainError', 'handleLLMEnd', 'handleLLMError', 'handleToolEnd', 'handleToolError'];
const RUN_ID = 2;
const PARENT_RUN_ID = 3;

/** Open runs' spans by run id, for their children to start under. */
const openRuns = new Map<string, Span>();

function parentRuns(): void {
  const proto = TraceloopCallbackHandler.prototype as unknown as Record<string, HandlerMethod>;
  for (const name of STARTS) {
    const start = proto[name];
    if (!start) continue;
    proto[name] = function (...args: unknown[]): unknown {
      const parent = openRuns.get(args[PARENT_RUN_ID] as string);
      const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
      // The handler starts its span before its first await, so inside this context.
      const result = context.with(ctx, () => start.apply(this, args));
      const runId = args[RUN_ID] as string;
      const span = this.spans.get(runId)?.span;
      if (span) {
        openRuns.set(runId, span);
        const site = this[CALL_SITE];
        if (site && span.attributes?.['code.file.path'] === undefined) span.setAttributes(codeAttributes(site));
      }
      return result;
    };
  }
  for (const name of ENDS) {
    const end = proto[name];
    if (!end) continue;
    proto[name] = function (...args: unknown[]): unknown {
      openRuns.delete(args[1] as string);
      return end.apply(this, args);
    };
  }
}

export function createPatcher(provider: TracerProvider, skipFiles: ReadonlySet<string>): LangChainPatcher {
  parentRuns();
  const tracer = provider.getTracer('@traceloop/instrumentation-langchain', '0.27.0');
  const traceContent = (process.env.TRACELOOP_TRACE_CONTENT ?? 'true').toLowerCase() !== 'false';
  const handler = (): unknown => {
    const h = new TraceloopCallbackHandler(tracer, traceContent) as unknown as Handler;
    h[CALL_SITE] = captureUserLocation(skipFiles);
    return h;
  };
  return {
    patch(callbackManagerModule: unknown): void {
      const manager = (callbackManagerModule as { CallbackManager?: Record<string | symbol, unknown> }).CallbackManager;
      const configure = manager?._configureSync as Configure | undefined;
      if (!manager || typeof configure !== 'function' || manager[PATCHED]) return;
      manager._configureSync = function (this: unknown, inheritable: unknown, ...rest: unknown[]): Manager | undefined {
        const configured = configure.call(this, inheritable, ...rest);
        // No callbacks at all: configure again with ours, so that tags and metadata are kept too.
        if (!configured) return configure.call(this, [handler()], ...rest);
        // Child runs inherit their parent's handler: one handler per run tree.
        if (!configured.handlers.some((h) => h.name === HANDLER_NAME)) configured.addHandler(handler(), true);
        return configured;
      };
      manager[PATCHED] = true;
    },
  };
}
