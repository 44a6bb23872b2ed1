/** What the detail pane asks of its host: the webview's main.ts forwards these as protocol messages. */
export interface DetailActions {
  /** Open a stack frame's file at its line and column (1-based, as printed). */
  openFrame(path: string, line: number | null, column: number | null): void;
  /** Put text on the clipboard. */
  copyText(text: string): void;
}
