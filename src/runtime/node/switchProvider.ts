/**
 * The global tracer provider the preload registers. Spans go to our own SDK provider until the
 * program registers a provider of its own; from then on they go to the program's (so each span
 * is exported once, by the program's exporter), and the program's tracers still record where
 * each span was made.
 */
import { context, trace, type Context, type Span, type SpanOptions, type Tracer, type TracerOptions, type TracerProvider } from '@opentelemetry/api';

type Flushable = TracerProvider & { forceFlush?: () => Promise<void> };
type ActiveFn = (span: Span) => unknown;

/** A tracer whose spans get `onStart` right after they start; startActiveSpan built on startSpan. */
class CapturingTracer implements Tracer {
  constructor(
    private readonly inner: () => Tracer,
    private readonly onStart: ((span: Span) => void) | null,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    const span = this.inner().startSpan(name, options, ctx);
    this.onStart?.(span);
    return span;
  }

  startActiveSpan<F extends ActiveFn>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const parent = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
    const base = parent ?? context.active();
    const span = this.startSpan(name, options, base);
    return context.with(trace.setSpan(base, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}

export class SwitchProvider implements TracerProvider {
  private adopted: Flushable | null = null;
  private readonly wrapped = new WeakMap<Tracer, Tracer>();

  constructor(
    private readonly own: Flushable,
    private readonly onAdoptedSpan: (span: Span) => void,
  ) {}

  /** The provider spans go to now. */
  get current(): Flushable {
    return this.adopted ?? this.own;
  }

  get hasAdopted(): boolean {
    return this.adopted !== null;
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    let cached: { provider: Flushable; tracer: Tracer } | null = null;
    return new CapturingTracer(() => {
      const provider = this.current;
      if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(name, version, options) };
      return cached.tracer;
    }, null);
  }

  /**
   * The program registered its own provider. Its getTracer is wrapped so that tracers taken
   * from it directly (not through the global API) record call sites too.
   */
  adopt(provider: TracerProvider): void {
    if (provider === this || this.adopted === provider) return;
    const p = provider as Flushable;
    const original = p.getTracer.bind(p);
    p.getTracer = (name: string, version?: string, options?: TracerOptions): Tracer => {
      const tracer = original(name, version, options);
      let w = this.wrapped.get(tracer);
      if (!w) {
        w = new CapturingTracer(() => tracer, this.onAdoptedSpan);
        this.wrapped.set(tracer, w);
      }
      return w;
    };
    this.adopted = p;
  }

  async forceFlush(): Promise<void> {
    await Promise.all([this.own.forceFlush?.(), this.adopted?.forceFlush?.()]);
  }
}

/** Shape of `@opentelemetry/api`'s exports that matters here. */
export interface ApiExports {
  trace?: { setGlobalTracerProvider?: (p: TracerProvider) => boolean } & Record<symbol, boolean>;
}

const PATCHED = Symbol.for('spanlens.apiPatched');

/**
 * Patches the program's copy of `@opentelemetry/api` so that registering a global provider
 * hands it to the switch instead of failing as a duplicate of ours.
 */
export function patchApi(exports: ApiExports, switcher: SwitchProvider): void {
  const api = exports.trace;
  if (!api || typeof api.setGlobalTracerProvider !== 'function' || api[PATCHED]) return;
  api.setGlobalTracerProvider = (p: TracerProvider): boolean => {
    switcher.adopt(p);
    return true;
  };
  api[PATCHED] = true;
}
