/**
 * Trace text made safe to show in VS Code's own surfaces (tree, CodeLens, hover, end-of-line
 * text, quick picks). Trace text is untrusted: a prompt can hold terminal escapes, characters
 * that reorder or hide text (Trojan Source), line breaks in a label, or megabytes on one line.
 *
 * The rules, the same on every surface:
 * - ANSI/VT escape sequences (colours, OSC 8 hyperlinks, titles) are removed: they mean nothing
 *   outside a terminal, and an OSC 8 link could carry a `command:` URI.
 * - Bidirectional controls, zero-width and other invisible format characters are *shown*, as
 *   `[U+202E]`, so that a reader sees that the text holds them and in what order it really is.
 * - Other control characters and line breaks are a space on one-line surfaces, `[U+0000]` in
 *   blocks; a lone surrogate is U+FFFD.
 * - Only a bounded head of the text is looked at, so a 10 MB line costs no more than a short one.
 */

// CSI (`ESC [ … final`, or the C1 CSI), OSC (`ESC ] … BEL` or `ESC ] … ESC \`), and two-character
// escapes (which also takes the `ESC ]` of an unterminated OSC, so its text stays visible).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]?|\u009b[0-?]*[ -/]*[@-~]?|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u009d[^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[ -~]?/g;

/** Bidi marks, embeddings, overrides and isolates; zero-width and other invisible format characters. */
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]/g;

/** C0 and C1 controls, line and paragraph separators (tab and newline are handled per surface). */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Characters of trace text looked at for one line: past this nothing can be shown anyway. */
const LINE_WINDOW = 4096;

/** `[U+202E]`: an invisible character made visible. */
export function codePointTag(c: string): string {
  return `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`;
}

/** Removes terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Cuts to at most `max` characters (with `…`), never between the halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * One line of at most `max` characters: escapes removed, invisible characters tagged, controls and
 * line breaks a space, whitespace runs one space. For labels, titles, descriptions.
 */
export function safeLine(text: string, max = 200): string {
  const head = text.length > LINE_WINDOW + max ? text.slice(0, LINE_WINDOW + max) : text;
  const flat = stripAnsi(head)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, codePointTag)
    .replace(CONTROLS, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return cut(flat, max);
}

/**
 * A block of at most `maxLines` lines and `maxChars` characters (saying `…` when cut): escapes
 * removed, invisible characters and controls tagged, line breaks made `\n`. For hover code blocks.
 */
export function safeBlock(text: string, maxLines = 6, maxChars = 500): string {
  const head = text.length > maxChars * 4 + LINE_WINDOW ? text.slice(0, maxChars * 4 + LINE_WINDOW) : text;
  const clean = stripAnsi(head)
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, codePointTag)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, codePointTag);
  let lines = clean.split('\n');
  let cutAny = head.length < text.length;
  if (lines.length > maxLines) [lines, cutAny] = [lines.slice(0, maxLines), true];
  let out = lines.join('\n');
  if (out.length > maxChars) [out, cutAny] = [cut(out, maxChars + 1).slice(0, -1), true];
  return cutAny ? `${out}\n…` : out;
}

/**
 * `$(name)` is drawn as an icon in CodeLens titles and quick pick items: trace text there gets
 * VS Code's own escape (`\$(name)`, drawn as the text `$(name)`).
 */
export function escapeIcons(text: string): string {
  return text.replace(/(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z0-9-]*)?)\)/g, (m, escaped: string | undefined) => (escaped ? m : `\\${m}`));
}
