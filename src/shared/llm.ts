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
  role: string;
  /** The text parts joined; placeholders such as `[image]` stand for parts that are not text. */
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
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  /** Request parameters: temperature, top_p, max_tokens, stop, seed, … */
  params: Record<string, unknown>;
  system: string | null;
  input: Message[];
  output: Message[];
  finishReasons: string[];
  /** Names of the tools offered to the model. */
  tools: string[];
  usage: Usage;
  costUsd: number | null;
  latencyMs: number;
  ttftMs: number | null;
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
