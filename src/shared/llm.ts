/**
 * One model of an LLM call and of the other span kinds, whatever convention wrote the span.
 * Shared by the host, the CLI and the webviews (no Node, no DOM, no `vscode`).
 */

export type SpanCategory =
  | 'llm'
  | 'embedding'
  | 'tool'
  | 'agent'
  | 'chain'
  | 'retriever'
  | 'reranker'
  | 'guardrail'
  | 'evaluator'
  | 'http'
  | 'db'
  | 'other';

export interface ToolCall {
  id: string | null;
  name: string;
  /** The arguments as a JSON string (as the model wrote them). */
  arguments: string;
}

export interface Message {
  /** As the convention wrote it (`system`, `user`, `assistant`, `tool`, …); `input` for what an embedding call embedded. */
  role: string;
  /**
   * The text parts joined; placeholders such as `[image]` stand for parts that are not text.
   * Empty when the instrumentation redacted it (`__REDACTED__`, `[REDACTED]`). A message list
   * that is not valid JSON (e.g. cut by an attribute length limit) becomes one message holding
   * the raw text, so the user sees what was recorded.
   */
  content: string;
  toolCalls: ToolCall[];
  /** For a tool result: the id of the call it answers. */
  toolCallId: string | null;
}

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
}

export interface LlmCall {
  /** Lowercase, as the convention names it, minus an API suffix (`openai.chat` → `openai`); null when nothing says. */
  provider: string | null;
  /** The model asked for; null when the convention only recorded the model that answered. */
  requestModel: string | null;
  /** The model that answered (often a dated snapshot); null when unknown, never guessed from the request. */
  responseModel: string | null;
  /** Request parameters: temperature, top_p, max_tokens, stop, seed, … */
  params: Record<string, unknown>;
  /** System instructions, including leading system (or developer) messages lifted out of `input`. */
  system: string | null;
  input: Message[];
  output: Message[];
  /**
   * As the instrumentation wrote them, not mapped to one spelling: `tool_calls` (OpenAI, GenAI),
   * `tool_call` (OpenLLMetry JS), `tool-calls` (Vercel AI SDK). The raw value is what the user
   * can search their code and the provider's docs for.
   */
  finishReasons: string[];
  /** Names of the tools offered to the model. */
  tools: string[];
  /** Input and output counts include cached and reasoning tokens, whatever the convention counted apart. */
  usage: Usage;
  /** From the price table; null for an unknown model or when no tokens were counted. */
  costUsd: number | null;
  latencyMs: number;
  /** Time to first token (or chunk) of a stream, when the convention records it. */
  ttftMs: number | null;
  /** The error message: OTel status, the convention's own error field, or the exception event as `Type: message`. */
  error: string | null;
  /** Why there is no prompt or response content, and how to switch capture on; null when there is content. */
  contentMissing: string | null;
  /** Which convention the call was read from, e.g. `gen_ai`, `openinference`. */
  convention: string;
}

export interface ToolExecution {
  name: string;
  callId: string | null;
  arguments: string | null;
  result: string | null;
}

export interface NormalizedSpan {
  kind: SpanCategory;
  llm: LlmCall | null;
  tool: ToolExecution | null;
}
