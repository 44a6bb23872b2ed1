/**
 * What the convention readers fill in, each only where an earlier (more specific) reader left
 * a field empty. normalizeSpan.ts turns a finished draft into the LlmCall model.
 */
import type { LogRecord, Span } from '../model.js';
import type { Message, SpanCategory, ToolExecution, Usage } from '../../shared/llm.js';

export interface Draft {
  kind?: SpanCategory;
  provider?: string;
  requestModel?: string;
  responseModel?: string;
  params: Record<string, unknown>;
  system?: string;
  input?: Message[];
  output?: Message[];
  finishReasons?: string[];
  tools?: string[];
  usage: { [K in keyof Usage]?: number };
  ttftMs?: number;
  /** When the span's own times do not measure the call (Logfire's zero-length stream log). */
  latencyMs?: number;
  /** An error the convention records outside the OTel status (Langfuse `level=ERROR`). */
  error?: string;
  tool?: Partial<ToolExecution>;
  /** The convention the call was read from: the first reader that recognises its own markers. */
  convention?: string;
}

export interface SpanInput {
  span: Span;
  /** Log records joined to this span (GenAI content can arrive as log events). */
  logs: LogRecord[];
  /**
   * False at ingest: only the kind, models, usage and cost are needed. Readers must then not
   * parse message JSON (prompts, responses, tool definitions, tool arguments): ingest runs for
   * every span and has to stay far above 50k spans/s.
   */
  withContent: boolean;
}

export type Reader = (input: SpanInput, draft: Draft) => void;

/** Sets draft[key] when it is empty and the value is present. */
export function fill<K extends keyof Draft>(draft: Draft, key: K, value: Draft[K] | undefined): void {
  if (value === undefined || value === null || (typeof value === 'string' && value === '')) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (draft[key] === undefined) draft[key] = value;
}

export function fillUsage(draft: Draft, key: keyof Usage, value: number | undefined): void {
  if (value !== undefined && draft.usage[key] === undefined) draft.usage[key] = value;
}

export function fillParam(draft: Draft, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  if (!(key in draft.params)) draft.params[key] = value;
}
