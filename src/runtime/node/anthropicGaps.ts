/**
 * OpenLLMetry's Anthropic instrumentation (0.27), patching only what the SDK has: its patch also
 * wraps the legacy `Anthropic.Completions`, which `@anthropic-ai/sdk` 1.x no longer has, and
 * then throws before it wraps `messages.create`, so nothing was traced with the current SDK.
 */
import { AnthropicInstrumentation } from '@traceloop/instrumentation-anthropic';

type Method = (...args: unknown[]) => unknown;
interface Internals {
  patchAnthropic(type: string, exports: unknown): (original: Method) => Method;
}
interface AnthropicExports {
  Anthropic?: {
    Completions?: { prototype: object };
    Messages?: { prototype: object };
    Beta?: { Messages?: { prototype: object } };
  };
}

/** The SDK's `create` methods and the GenAI operation each is. */
function targets(exports: unknown): [object, string][] {
  const a = (exports as AnthropicExports).Anthropic;
  const found: [object | undefined, string][] = [
    [a?.Completions?.prototype, 'text_completion'],
    [a?.Messages?.prototype, 'chat'],
    [a?.Beta?.Messages?.prototype, 'chat'],
  ];
  return found.filter((t): t is [object, string] => t[0] !== undefined);
}

export class SpanlensAnthropicInstrumentation extends AnthropicInstrumentation {
  protected override init(): ReturnType<AnthropicInstrumentation['init']> {
    const definition = super.init();
    const self = this as unknown as Internals;
    definition.patch = (exports: unknown): unknown => {
      for (const [proto, type] of targets(exports)) this._wrap(proto, 'create' as never, self.patchAnthropic(type, exports) as never);
      return exports;
    };
    definition.unpatch = (exports: unknown): void => {
      for (const [proto] of targets(exports)) this._unwrap(proto, 'create' as never);
    };
    return definition;
  }
}
