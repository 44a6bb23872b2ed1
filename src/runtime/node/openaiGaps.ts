/**
 * OpenLLMetry's OpenAI instrumentation (0.27), with what it leaves out added around it:
 * - a failed call ends its span with the error (the instrumentation only ends spans on success,
 *   so a failing call was never exported at all);
 * - a streamed call records when its first chunk came (time to first token, as a span event)
 *   and the usage that the last chunk carries with `stream_options.include_usage`, and its span
 *   ends even when the program stops reading early;
 * - `embeddings.create` gets a span in the GenAI conventions.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';

/** The event our normalizer reads as the first token (its name says so). */
export const FIRST_TOKEN_EVENT = 'gen_ai.first_token';

interface StreamArgs {
  span: Span;
  promise: PromiseLike<AsyncIterable<unknown>>;
}

/** The instrumentation's private methods that we wrap, as they are in 0.27. */
interface Internals {
  _wrapPromise(type: string, version: string, span: Span, promise: PromiseLike<unknown>): unknown;
  _streamingWrapPromise(args: StreamArgs): AsyncGenerator<unknown>;
  _shouldSendPrompts(): boolean;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
interface EmbeddingsExports {
  OpenAI?: { Embeddings?: { prototype: Record<string, unknown> } };
}

export function endWithError(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  const status = (err as { status?: unknown }).status;
  span.setAttribute('error.type', typeof status === 'number' ? String(status) : e.name);
  span.end();
}

function setUsage(span: Span, usage: Usage): void {
  if (typeof usage.prompt_tokens === 'number') span.setAttribute('gen_ai.usage.input_tokens', usage.prompt_tokens);
  if (typeof usage.completion_tokens === 'number') span.setAttribute('gen_ai.usage.output_tokens', usage.completion_tokens);
  if (typeof usage.total_tokens === 'number') span.setAttribute('llm.usage.total_tokens', usage.total_tokens);
}

/** Passes the SDK's chunks through, noting the first one and any usage on the way. */
async function* observeChunks(stream: AsyncIterable<unknown>, span: Span): AsyncGenerator<unknown> {
  let first = true;
  for await (const chunk of stream) {
    if (first) {
      span.addEvent(FIRST_TOKEN_EVENT);
      first = false;
    }
    const usage = (chunk as { usage?: Usage } | null)?.usage;
    if (usage && typeof usage === 'object') setUsage(span, usage);
    yield chunk;
  }
}

/** The instrumentation's generator, with its span ended on an error or an early stop. */
async function* guardStream(inner: AsyncGenerator<unknown>, span: Span): AsyncGenerator<unknown> {
  try {
    yield* inner;
  } catch (err) {
    endWithError(span, err);
    throw err;
  } finally {
    if (span.isRecording()) span.end();
  }
}

export class SpanlensOpenAIInstrumentation extends OpenAIInstrumentation {
  constructor() {
    super();
    const self = this as unknown as Internals;
    const wrapPromise = self._wrapPromise;
    self._wrapPromise = function (this: Internals, type, version, span, promise) {
      // Observing only the request: the caller still gets the rejection from the promise returned
      // below. The SDK's APIPromise parses the body once per `then`, so `then` on it here would
      // read the body twice; `asResponse()` waits for the response without reading it.
      const response = (promise as { asResponse?: () => PromiseLike<unknown> }).asResponse?.() ?? promise;
      response.then(undefined, (err: unknown) => endWithError(span, err));
      return wrapPromise.call(this, type, version, span, promise);
    };
    const streamingWrap = self._streamingWrapPromise;
    self._streamingWrapPromise = function (this: Internals, args) {
      const observed = Promise.resolve(args.promise).then((stream) => observeChunks(stream, args.span));
      return guardStream(streamingWrap.call(this, { ...args, promise: observed }), args.span);
    };
  }

  protected override init(): ReturnType<OpenAIInstrumentation['init']> {
    const definition = super.init();
    const patch = definition.patch;
    const unpatch = definition.unpatch;
    definition.patch = (exports: unknown, version?: string): unknown => {
      const patched = patch ? patch(exports, version) : exports;
      const proto = (exports as EmbeddingsExports).OpenAI?.Embeddings?.prototype;
      if (proto) this._wrap(proto, 'create', (original) => this.embeddingsCreate(original as Method));
      return patched;
    };
    definition.unpatch = (exports: unknown, version?: string): void => {
      const proto = (exports as EmbeddingsExports).OpenAI?.Embeddings?.prototype;
      if (proto) this._unwrap(proto, 'create');
      unpatch?.(exports, version);
    };
    return definition;
  }

  private embeddingsCreate(original: Method): Method {
    const tracer = (): Tracer => this.tracer;
    const sendPrompts = (): boolean => (this as unknown as Internals)._shouldSendPrompts();
    return function (this: unknown, ...args: unknown[]): unknown {
      const params = (args[0] ?? {}) as { model?: string; input?: unknown; dimensions?: number };
      const span = tracer().startSpan(`embeddings ${params.model ?? ''}`.trim(), {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'embeddings',
          'gen_ai.provider.name': 'openai',
          'gen_ai.system': 'openai',
          ...(params.model ? { 'gen_ai.request.model': params.model } : {}),
          ...(typeof params.dimensions === 'number' ? { 'gen_ai.embeddings.dimension.count': params.dimensions } : {}),
        },
      });
      if (sendPrompts()) span.setAttribute('gen_ai.input.messages', embeddingInput(params.input));
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (err) {
        endWithError(span, err);
        throw err;
      }
      const promise = result as PromiseLike<{ model?: string; usage?: Usage; data?: { embedding?: unknown }[] }>;
      promise.then(
        (response) => {
          if (response?.model) span.setAttribute('gen_ai.response.model', response.model);
          if (typeof response?.usage?.prompt_tokens === 'number') span.setAttribute('gen_ai.usage.input_tokens', response.usage.prompt_tokens);
          const vector = response?.data?.[0]?.embedding;
          if (Array.isArray(vector)) span.setAttribute('gen_ai.embeddings.dimension.count', vector.length);
          span.end();
        },
        (err: unknown) => endWithError(span, err),
      );
      return result;
    };
  }
}

/** The input texts as GenAI input messages (token arrays are shown as JSON). */
function embeddingInput(input: unknown): string {
  const items = Array.isArray(input) && input.every((i) => typeof i === 'string') ? input : [input];
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return JSON.stringify(items.map((i) => ({ role: 'user', parts: [{ type: 'text', content: text(i) }] })));
}
