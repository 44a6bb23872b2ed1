/**
 * The store under faults: files deleted or damaged, a full disk, a read-only folder, a trace
 * past the span limit. Real failing writes: a tmpfs of 1 MB and a read-only bind mount when the
 * tests run as root; /dev/full (ENOSPC) and chmod 0555 otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { listJournals } from '../../src/core/store/files.js';
import { SpanStore, type StorageState } from '../../src/core/store/spanStore.js';
import { makeTrace } from '../helpers/spans.js';
import { eventually } from '../helpers/receiver.js';

const dirs: string[] = [];
const mounts: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spanlens-faults-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});
const isRoot = process.getuid?.() === 0;

function mount(args: string[], target: string): boolean {
  try {
    execFileSync('mount', [...args, target], { stdio: 'pipe' });
    if (!args.some((a) => a.startsWith('remount'))) mounts.push(target);
    return true;
  } catch {
    return false;
  }
}

async function reopened(file: string): Promise<SpanStore> {
  return SpanStore.open({ path: file, readOnly: true });
}

function traceIds(store: SpanStore): string[] {
  return store.listTraces(100_000).map((t) => t.traceId).sort();
}

describe('store faults: files deleted or damaged', () => {
  it('writes the database again from memory when it is deleted while open', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'spans.db');
    const warnings: string[] = [];
    const store = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    const a = makeTrace(3, 1_700_000_000_000_000_000n);
    store.addSpans(a);
    store.flush();
    // The user cleans the extension's storage: the folder goes, with the snapshot and the journal.
    rmSync(dir, { recursive: true, force: true });
    await eventually(() => (existsSync(file) ? true : undefined), 8000);
    const b = makeTrace(2, 1_700_000_100_000_000_000n);
    store.addSpans(b);
    store.flush();
    assert.match(warnings.join('\n'), /was deleted while in use; it was written again from memory/);
    assert.equal(store.storage.kind, 'disk');
    // As after a killed window: the files alone must hold both traces.
    const again = await reopened(file);
    assert.deepEqual(traceIds(again), [a[0]!.traceId, b[0]!.traceId].sort());
    await again.close();
    await store.close();
  });

  it('moves a garbage database aside and starts with what the journal holds', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const store = await SpanStore.open({ path: file });
    const a = makeTrace(4);
    store.addSpans(a);
    store.flush(); // a killed window: the journal holds the trace, the snapshot does not
    writeFileSync(file, Buffer.from('this is not a database, it is a shopping list'.repeat(100)));
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /could not be read .* moved to .*spans\.db\.corrupt-/);
    const aside = readdirSync(path.dirname(file)).filter((n) => n.startsWith('spans.db.corrupt-'));
    assert.equal(aside.length, 1);
    assert.match(readFileSync(path.join(path.dirname(file), aside[0]!), 'utf8'), /shopping list/);
    assert.deepEqual(again.getTrace(a[0]!.traceId), a);
    await again.close();
  });

  it('moves a truncated snapshot aside and keeps the journal written after it', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const store = await SpanStore.open({ path: file });
    const older = makeTrace(50, 1_700_000_000_000_000_000n);
    store.addSpans(older);
    await store.checkpoint(); // the snapshot holds `older`
    const newer = makeTrace(3, 1_700_000_200_000_000_000n);
    store.addSpans(newer);
    store.flush(); // the journal holds `newer`
    const bytes = readFileSync(file);
    truncateSync(file, Math.floor(bytes.length / 2)); // a copy cut short
    writeFileSync(`${file}.tmp-999999`, bytes.subarray(0, 4096)); // the half-written snapshot of a killed process
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /truncated: \d+ of \d+ bytes.*moved to .*corrupt-/);
    assert.equal(existsSync(`${file}.tmp-999999`), false, 'a half-written snapshot left by a killed process is deleted');
    assert.deepEqual(traceIds(again), [newer[0]!.traceId]);
    assert.equal(again.storage.kind, 'disk');
    await again.close();
    const third = await reopened(file);
    assert.deepEqual(traceIds(third), [newer[0]!.traceId], 'the recovered store was written back');
    await third.close();
  });

  it('moves aside a snapshot damaged inside (pages overwritten), found at open', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const store = await SpanStore.open({ path: file });
    for (let i = 0; i < 20; i++) store.addSpans(makeTrace(100, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n));
    await store.close();
    const bytes = readFileSync(file);
    // Overwrite pages 2 to 5 (16 KiB pages): the header stays whole, the tables do not.
    bytes.fill(0xa5, 16384, 16384 * 5);
    writeFileSync(file, bytes);
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /could not be read \((damaged|database disk image is malformed).*moved to .*corrupt-/);
    assert.equal(again.traceCount(), 0);
    assert.equal(again.addSpans(makeTrace(2)), 2, 'the new store works');
    await again.close();
  });

  it('replays a journal up to damage in its middle, and copies the damaged journal aside', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const store = await SpanStore.open({ path: file });
    const a = makeTrace(3, 1_700_000_000_000_000_000n);
    const b = makeTrace(3, 1_700_000_100_000_000_000n);
    const c = makeTrace(3, 1_700_000_200_000_000_000n);
    store.addSpans(a);
    store.flush();
    const [journal] = listJournals(file);
    const afterA = readFileSync(journal!.path).length;
    store.addSpans(b);
    store.addSpans(c);
    store.flush();
    // Damage b's record (its payload, past the header): its checksum no longer matches.
    const bytes = readFileSync(journal!.path);
    bytes.fill(0x55, afterA + 20, afterA + 60);
    writeFileSync(journal!.path, bytes);
    const warnings: string[] = [];
    const again = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(traceIds(again), [a[0]!.traceId]);
    assert.match(warnings.join('\n'), /is damaged after 1 records; those were recovered; the file was copied to .*journal-\d+\.corrupt-/);
    assert.equal(readdirSync(path.dirname(file)).filter((n) => /journal-\d+\.corrupt-/.test(n)).length, 1);
    await again.close();
  });
});

describe('store faults: the disk cannot be written', () => {
  it('serves from memory when the disk is full, says so, and writes everything once there is room', async () => {
    const dir = tempDir();
    const states: StorageState[] = [];
    const warnings: string[] = [];
    let file: string;
    let makeRoom: () => void;
    if (isRoot && mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], dir)) {
      file = path.join(dir, 'spans.db');
      makeRoom = () => execFileSync('mount', ['-o', 'remount,size=64m', dir]);
    } else {
      file = path.join(dir, 'spans.db');
      makeRoom = () => undefined; // set once the store is open
    }
    const store = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    if (!mounts.includes(dir)) {
      // Not root: the next journals are /dev/full, where every write fails with ENOSPC.
      const epoch = listJournals(file).at(-1)!.epoch;
      const full = Array.from({ length: 4 }, (_, i) => `${file}-journal-${epoch + 1 + i}`);
      for (const j of full) symlinkSync('/dev/full', j);
      await store.checkpoint();
      makeRoom = () => full.forEach((j) => rmSync(j, { force: true }));
    }
    store.onDidChangeStorage((s) => states.push(s));
    const traces = Array.from({ length: 40 }, (_, i) => makeTrace(30, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n));
    const memoryOnly = (): boolean => store.storage.kind === 'memoryOnly';
    for (const t of traces) {
      store.addSpans(t);
      store.flush();
      if (memoryOnly()) break;
      await store.checkpoint(); // a snapshot fills the disk too
      if (memoryOnly()) break;
    }
    for (const t of traces) store.addSpans(t); // more arrive while memory-only
    const state = store.storage;
    assert.equal(state.kind, 'memoryOnly');
    assert.match(state.kind === 'memoryOnly' ? state.reason : '', /disk is full/);
    assert.match(warnings.join('\n'), /cannot be written to disk \(the disk is full\)\. They are kept in memory/);
    assert.equal(store.traceCount(), traces.length, 'every trace is served from memory');
    makeRoom();
    await eventually(() => (store.storage.kind === 'disk' ? true : undefined), 10_000);
    assert.match(warnings.join('\n'), /written to .* again; everything kept in memory since/);
    assert.deepEqual(states.map((s) => s.kind), ['memoryOnly', 'disk']);
    const again = await reopened(file);
    assert.equal(again.traceCount(), traces.length, 'everything in memory reached the disk');
    await again.close();
    await store.close();
  });

  it('serves from memory when the folder is read-only, and says so', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'spans.db');
    const first = await SpanStore.open({ path: file });
    const a = makeTrace(3);
    first.addSpans(a);
    await first.close();
    let how: string;
    if (isRoot && mount(['--bind', dir], dir) && mount(['-o', 'remount,ro,bind'], dir)) how = 'read-only mount';
    else {
      chmodSync(dir, 0o555);
      how = 'chmod 0555';
    }
    const warnings: string[] = [];
    const store = await SpanStore.open({ path: file, onWarning: (m) => warnings.push(m) });
    assert.equal(store.storage.kind, 'memoryOnly', how);
    assert.match(warnings.join('\n'), /cannot be written to disk \((the file system is read-only|no permission to write in the folder of .*)\)/);
    assert.deepEqual(store.getTrace(a[0]!.traceId), a, 'what was on disk is served');
    const b = makeTrace(2, 1_700_000_500_000_000_000n);
    assert.equal(store.addSpans(b), 2, 'new spans are stored in memory');
    assert.equal(store.traceCount(), 2);
    await store.close();
    assert.match(warnings.join('\n'), /could not be written to .* and are gone with this window/);
  });

  it('serves from memory when a file stands where the storage folder should be', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'storage'), 'not a folder');
    const warnings: string[] = [];
    const store = await SpanStore.open({ path: path.join(dir, 'storage', 'spans.db'), onWarning: (m) => warnings.push(m) });
    assert.equal(store.storage.kind, 'memoryOnly');
    assert.equal(store.addSpans(makeTrace(2)), 2);
    assert.match(warnings.join('\n'), /missing or not a folder/);
    await store.close();
  });
});

describe('store faults: spans per trace', () => {
  it('stores a trace up to the limit, counts the rest on the trace and tells the caller, also after a reopen', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const warnings: string[] = [];
    const store = await SpanStore.open({ path: file, maxSpansPerTrace: 5, onWarning: (m) => warnings.push(m) });
    const spans = makeTrace(8);
    const traceId = spans[0]!.traceId;
    assert.deepEqual(store.addSpansCounted(spans.slice(0, 3)), { stored: 3, truncated: 0, maxSpansPerTrace: 5 });
    assert.deepEqual(store.addSpansCounted(spans.slice(3)), { stored: 2, truncated: 3, maxSpansPerTrace: 5 });
    assert.equal(store.traceSummary(traceId)!.spanCount, 5);
    assert.equal(store.traceSummary(traceId)!.truncatedSpans, 3);
    assert.equal(store.getTrace(traceId).length, 5);
    assert.match(warnings.join('\n'), /reached 5 spans; further spans of it are counted but not stored/);
    // A retry of spans already stored is not counted as lost.
    assert.deepEqual(store.addSpansCounted(spans.slice(0, 3)), { stored: 0, truncated: 0, maxSpansPerTrace: 5 });
    const other = makeTrace(2, 1_700_000_900_000_000_000n);
    assert.deepEqual(store.addSpansCounted(other), { stored: 2, truncated: 0, maxSpansPerTrace: 5 });
    assert.equal(store.traceSummary(other[0]!.traceId)!.truncatedSpans, undefined);
    store.flush();
    const again = await SpanStore.open({ path: file, maxSpansPerTrace: 5 });
    assert.equal(again.traceSummary(traceId)!.truncatedSpans, 3, 'replaying the journal applies the same limit');
    assert.equal(again.traceSummary(traceId)!.spanCount, 5);
    await again.close();
  });

  it('defaults to 10,000 spans per trace', async () => {
    const store = await SpanStore.open();
    const spans = makeTrace(10_050);
    const r = store.addSpansCounted(spans);
    assert.deepEqual(r, { stored: 10_000, truncated: 50, maxSpansPerTrace: 10_000 });
    await store.close();
  });
});

describe('store faults: two writers', () => {
  it('a second store on the same file writes a sibling file, which the next store alone adds back', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const host = (await import('node:os')).hostname();
    const first = await SpanStore.open({ path: file });
    const a = makeTrace(3, 1_700_000_000_000_000_000n);
    first.addSpans(a);
    await first.close();
    // A lock held by a live process that is not us (our parent): another window.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host }));
    const warnings: string[] = [];
    const second = await SpanStore.open({ path: file, lockWaitMs: 300, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(second.storage, { kind: 'disk', path: `${file}-2` });
    assert.match(warnings.join('\n'), new RegExp(`\\(pid ${process.ppid}\\) is storing this workspace's traces in .*spans\\.db; this one stores its own in .*spans\\.db-2`));
    const b = makeTrace(2, 1_700_000_100_000_000_000n);
    second.addSpans(b);
    second.setPinned('trace', b[0]!.traceId, true);
    second.flush(); // killed, not closed: the sibling's journal holds b
    // The other window closes; the next store on the workspace adds the sibling's traces.
    rmSync(`${file}.lock`);
    writeFileSync(`${file}-2.lock`, JSON.stringify({ pid: 2 ** 22 + 17, host })); // the killed window's stale lock
    const merged: string[] = [];
    const third = await SpanStore.open({ path: file, onWarning: (m) => merged.push(m) });
    assert.match(merged.join('\n'), /Added 1 traces that another window had stored in .*spans\.db-2/);
    assert.deepEqual(traceIds(third), [a[0]!.traceId, b[0]!.traceId].sort());
    assert.equal(third.traceSummary(b[0]!.traceId)!.pinned, true);
    assert.deepEqual(readdirSync(path.dirname(file)).filter((n) => n.startsWith('spans.db-2')), [], 'the sibling is gone');
    await third.close();
  });

  it('waits for a closing window to release the lock (a reload) before writing beside it', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const closing = await SpanStore.open({ path: file });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname() }));
    setTimeout(() => void closing.close().then(() => rmSync(`${file}.lock`, { force: true })), 500);
    const reloaded = await SpanStore.open({ path: file });
    assert.deepEqual(reloaded.storage, { kind: 'disk', path: file });
    await reloaded.close();
  });

  it('takes over a lock whose process is gone, or whose pid now names a newer process', async () => {
    const file = path.join(tempDir(), 'spans.db');
    const host = (await import('node:os')).hostname();
    for (const holder of [{ pid: 2 ** 22 + 17, host }, { pid: process.ppid, host, started: '1' }]) {
      writeFileSync(`${file}.lock`, JSON.stringify(holder));
      const next = await SpanStore.open({ path: file });
      assert.deepEqual(next.storage, { kind: 'disk', path: file }, JSON.stringify(holder));
      await next.close();
    }
    assert.equal(existsSync(`${file}.lock`), false, 'released on close');
  });
});
