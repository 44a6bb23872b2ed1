/**
 * What the trace views draw: a trace as timeline rows (small, sent whole, 100,000 spans at a
 * time) and one span's detail (sent when the span is opened). Built on the host from the store
 * (src/core/views/traceView.ts); read by the webview and the exported HTML file.
 */
import type { LlmCall, SpanCategory, ToolExecution } from './llm.js';
import type { SourceLocation } from './source.js';

/** One span as a timeline row and bar: nothing of the payload. */
export interface TimelineSpan {
  /** Span id, unique within the trace view (a duplicate span id is dropped, see `TraceView.duplicates`). */
  id: string;
  /** The parent's id when the parent is in the trace; null for a root, an orphan or a cut cycle. */
  parentId: string | null;
  name: string;
  service: string;
  kind: SpanCategory;
  /** Display start, ms since the trace's start, after clock-skew adjustment. */
  startMs: number;
  durationMs: number;
  /** How far the display times were shifted for clock skew (0 when not), ms. */
  skewMs: number;
  error: boolean;
  /** Time to first token of a streaming LLM call, ms after the span's start. */
  ttftMs: number | null;
  /** The summary shown beside the name: `gpt-4o-mini · 1.2 s · 43 tok · $0.0004`. */
  summary: string;
  /** The parent id names a span this trace does not have: drawn as a root with a mark. */
  missingParent: boolean;
  /** The parent chain looped back here and was cut. */
  cycleCut: boolean;
}

export interface TraceView {
  traceId: string;
  /** The root span's name (or the first span's when there is no root). */
  name: string;
  startTimeUnixNano: string;
  durationMs: number;
  /** Depth-first, children by start time: the order of the timeline's rows before folding. */
  spans: TimelineSpan[];
  /** Spans left out because an earlier span of the trace had the same id. */
  duplicates: number;
}

/** An attribute as shown: key and its value as display text (strings as they are, the rest as JSON). */
export interface ShownAttribute {
  key: string;
  value: string;
}

export interface StackFrame {
  /** The frame's line as printed. */
  text: string;
  /** A file the frame names, as written in the trace (may be absolute, relative or remote). */
  path: string | null;
  line: number | null;
  column: number | null;
}

export interface SpanException {
  type: string;
  message: string;
  /** The stack as printed, line by line, each line parsed where it names a file (Node or Python format). */
  frames: StackFrame[];
}

export interface SpanEventView {
  name: string;
  /** ms after the span's start (raw times). */
  offsetMs: number;
  attributes: ShownAttribute[];
}

export interface SpanDetail {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  kind: SpanCategory;
  status: { code: 'unset' | 'ok' | 'error'; message: string };
  startTimeUnixNano: string;
  durationMs: number;
  attributes: ShownAttribute[];
  resource: ShownAttribute[];
  scope: { name: string; version: string };
  events: SpanEventView[];
  exceptions: SpanException[];
  llm: LlmCall | null;
  tool: ToolExecution | null;
  /** Where in the workspace the span was made, when the host could tell (absent in exported files). */
  source?: SourceLocation | null;
  /** What the sender's SDK or Spanlens' limits left out (OTLP dropped counts); absent when nothing. */
  dropped?: { attributes: number; events: number; links: number };
}

/**
 * The elements of the exported HTML file holding its trace: the `TraceView` (read at load) and
 * the span details (read when a span is first opened), each as JSON, raw-deflated, in base64.
 */
export const BUNDLE_ELEMENT_ID = 'spanlens-trace';
export const DETAILS_ELEMENT_ID = 'spanlens-details';

/** A trace with every span's detail: what the exported HTML file embeds. */
export interface TraceBundle {
  view: TraceView;
  details: Record<string, SpanDetail>;
}
