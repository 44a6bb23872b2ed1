/**
 * Commands between spans and the code that made them, both ways: go to a span's code, list the
 * calls of the cursor's line, compare a call with the previous run's. Also wires the editor
 * surfaces; in `activate`: `context.subscriptions.push(...registerEditorSurfaces(service, log));`
 */
import * as vscode from 'vscode';
import { type CallSite, previousCall } from '../core/source/callSites.js';
import { callPickItem } from '../core/views/editorText.js';
import { confidenceLabel } from '../shared/source.js';
import { CallSiteService } from './callSiteService.js';
import { CallSiteLensProvider } from './codeLens.js';
import { CallSiteDecorations } from './decorations.js';
import { type CallRef, openCallDiff, registerCallDocuments } from './diffProvider.js';
import { userMessage } from './errors.js';
import { CallSiteHoverProvider } from './hover.js';
import { openFrame } from './openFrame.js';
import type { ReceiverService } from './receiverService.js';

const LINE_CONTEXT = 'spanlens.editor.lineHasCalls';
const PICK_LIMIT = 100;

/** `{ traceId, spanId }` from a command argument (a tree item, a hover link, a script). */
function refOf(arg: unknown): CallRef | undefined {
  const a = arg as { traceId?: unknown; spanId?: unknown } | undefined;
  return typeof a?.traceId === 'string' && typeof a.spanId === 'string' ? { traceId: a.traceId, spanId: a.spanId } : undefined;
}

/** The site at the active editor's cursor (or at `uri`/`line`, 1-based, when given). */
function siteAtCursor(sites: CallSiteService, uri?: vscode.Uri, line?: number): CallSite | undefined {
  const editor = vscode.window.activeTextEditor;
  const target = uri ?? editor?.document.uri;
  const at = line ?? (editor ? editor.selection.active.line + 1 : undefined);
  if (!target || target.scheme !== 'file' || at === undefined) return undefined;
  return sites.siteAt(target.fsPath, at);
}

function info(message: string): undefined {
  void vscode.window.showInformationMessage(`Spanlens: ${message}`);
  return undefined;
}

async function openCall(ref: CallRef): Promise<unknown> {
  const opened = await vscode.commands.executeCommand('spanlens.openTimeline', ref);
  void vscode.commands.executeCommand('spanlens.revealSpan', ref.traceId, ref.spanId, { show: true }).then(undefined, () => undefined);
  return opened;
}

async function compareWithPrevious(sites: CallSiteService, arg: unknown): Promise<{ previous: CallRef; latest: CallRef } | undefined> {
  await sites.settled();
  const ref = refOf(arg);
  const site = ref ? sites.siteOf(ref) : siteAtCursor(sites);
  if (!site) return info(ref ? 'this call has no known line of code, so there is no previous run’s call to match it with.' : 'no LLM call was made from this line in the traces received.');
  const latest = ref ?? site.latest;
  const previous = ref ? previousCall(site.calls, ref) : site.previous;
  if (!previous) return info(`no call of the previous run matches this one at ${vscode.workspace.asRelativePath(site.path)}:${site.line}.`);
  const refs = { previous: { traceId: previous.traceId, spanId: previous.spanId }, latest: { traceId: latest.traceId, spanId: latest.spanId } };
  await openCallDiff(refs.previous, refs.latest, site);
  return refs;
}

async function goToCode(sites: CallSiteService, arg: unknown): Promise<boolean> {
  const ref = refOf(arg);
  if (!ref) return info('choose a span in the Runs & Traces view to go to its code.') ?? false;
  if (!vscode.workspace.workspaceFolders?.length) return info('open the folder of the app’s code to find where a span was made.') ?? false;
  try {
    await sites.settled();
    const where = await sites.location(ref.traceId, ref.spanId);
    if (!where) return info('this span names no place in the workspace’s code (no code.* attributes or stack frames, and nothing it carries was found in the code).') ?? false;
    const opened = await openFrame(where.path, where.line, where.column);
    const sure = confidenceLabel(where.confidence);
    if (opened && sure !== 'exact') void vscode.window.setStatusBarMessage(`Spanlens: ${sure} location (found by ${where.method})`, 4000);
    return opened;
  } catch (err) {
    void vscode.window.showErrorMessage(userMessage(err, 'find the span’s code'));
    return false;
  }
}

async function showSpansForLine(sites: CallSiteService, uri?: vscode.Uri, line?: number): Promise<CallRef | undefined> {
  await sites.settled();
  const site = siteAtCursor(sites, uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined);
  if (!site) return info('no LLM call was made from this line in the traces received.');
  type Item = vscode.QuickPickItem & { ref: CallRef };
  const latestRun = new Set(site.latestRun.map((c) => c.spanId));
  const items: Item[] = site.calls.slice(0, PICK_LIMIT).map((c) => ({ ...callPickItem(c, latestRun.has(c.spanId)), ref: { traceId: c.traceId, spanId: c.spanId } }));
  const picked = await vscode.window.showQuickPick(items, { title: `Spanlens: calls from ${vscode.workspace.asRelativePath(site.path)}:${site.line}`, matchOnDetail: true });
  if (!picked) return undefined;
  await openCall(picked.ref);
  return picked.ref;
}

/** Keeps `spanlens.editor.lineHasCalls` true while the cursor is on a line that made calls (for the context menu). */
function trackCursor(sites: CallSiteService): vscode.Disposable[] {
  let last: boolean | undefined;
  const update = (): void => {
    const has = siteAtCursor(sites) !== undefined;
    if (has === last) return;
    last = has;
    void vscode.commands.executeCommand('setContext', LINE_CONTEXT, has);
  };
  return [vscode.window.onDidChangeTextEditorSelection(update), vscode.window.onDidChangeActiveTextEditor(update), sites.onDidChangeSites(update)];
}

/** The CodeLens, hover, end-of-line text, call documents and commands of the editor. */
export function registerEditorSurfaces(service: ReceiverService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const sites = new CallSiteService(service, log);
  const lenses = new CallSiteLensProvider(sites);
  const files = { scheme: 'file' };
  return [
    sites,
    lenses,
    vscode.languages.registerCodeLensProvider(files, lenses),
    vscode.languages.registerHoverProvider(files, new CallSiteHoverProvider(sites)),
    new CallSiteDecorations(sites),
    registerCallDocuments(sites),
    ...trackCursor(sites),
    vscode.commands.registerCommand('spanlens.openCallSite', (arg: unknown) => {
      const ref = refOf(arg);
      return ref ? openCall(ref) : undefined;
    }),
    vscode.commands.registerCommand('spanlens.compareWithPrevious', (arg?: unknown) => compareWithPrevious(sites, arg)),
    vscode.commands.registerCommand('spanlens.goToCode', (arg?: unknown) => goToCode(sites, arg)),
    vscode.commands.registerCommand('spanlens.showSpansForLine', (uri?: unknown, line?: unknown) =>
      showSpansForLine(sites, uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined),
    ),
  ];
}
