/**
 * Where in the user's code a span was made: resolved on the host side (src/core/source), shown
 * by the editor surfaces, the webview's "Go to code" and `spanlens show --workspace`.
 */

/**
 * How the location was found, most to least certain:
 * - `attribute`: OpenTelemetry `code.*` attributes (either spelling);
 * - `stack`: `code.stacktrace` or an exception's stack trace, first frame in the workspace;
 * - `symbol`: a function or entity name the span carries, found as a definition in the workspace;
 * - `text`: the prompt's literal text found in a string literal or template in the workspace.
 */
export type SourceMethod = 'attribute' | 'stack' | 'symbol' | 'text';

export interface SourceLocation {
  /** Absolute path of the workspace file. */
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based, when known. */
  column: number | null;
  /** The function (or method) the location is in, when known. */
  function: string | null;
  method: SourceMethod;
  /** 0–1: 1 only for exact methods whose file and line were found as written; heuristics stay below 1. */
  confidence: number;
  /** Taken from the nearest ancestor span that has a location (the span itself has none). */
  inherited: boolean;
}

/** "exact", "likely", "possible" for a confidence, as every surface words it. */
export function confidenceLabel(confidence: number): 'exact' | 'likely' | 'possible' {
  return confidence >= 0.99 ? 'exact' : confidence >= 0.6 ? 'likely' : 'possible';
}
