/**
 * Append-only journal beside the database snapshot. Each ingested batch is appended as one
 * framed record (length, CRC-32, kind, payload), so persisting costs the size of the batch and
 * never the size of the database. Writes are buffered for at most FLUSH_MS, which bounds what a
 * SIGKILL can lose. A torn or corrupt tail stops the replay there; everything before it counts.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/** What a record holds: raw OTLP bodies (replayed through the decoder) or a store operation. */
export const RecordKind = {
  TracesProtobuf: 1,
  TracesJson: 2,
  LogsProtobuf: 3,
  LogsJson: 4,
  // 5 is retired: spans not from a request body are journaled as an OTLP/JSON body (TracesJson).
  LogsInternal: 6,
  Clear: 7,
  /** A JSON array of trace ids deleted (by the user or by retention). */
  DeleteTraces: 8,
  /** JSON `{ what: 'run' | 'trace', id, pinned }`. */
  Pin: 9,
  /** Trace request bodies compressed with raw deflate (the receiver's thread compresses them). */
  TracesProtobufDeflate: 10,
  TracesJsonDeflate: 11,
  /** A trace's printed form (see shownForms.ts): derived, and journaled so that other readers of the files see it. */
  ShownForm: 12,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const HEADER = 9; // u32 length, u32 crc, u8 kind
export const FLUSH_MS = 200;

export interface JournalRecord {
  kind: RecordKind;
  payload: Buffer;
}

export class Journal {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private written = 0;
  /** A write failed: what is buffered or appended from now on is dropped (the store keeps it in memory). */
  failed = false;
  private isClosed = false;

  /** Throws when the file cannot be opened for appending (a read-only folder, a missing one). */
  constructor(readonly path: string, private readonly onError: (err: Error) => void) {
    this.fd = openSync(path, 'a');
    this.written = fstatSync(this.fd).size;
  }

  /** False once the file was deleted (or its folder was) while open: writes would go nowhere. */
  get linked(): boolean {
    if (this.isClosed) return false;
    try {
      return fstatSync(this.fd).nlink > 0;
    } catch {
      return false;
    }
  }

  /** Bytes in the journal, including what is still buffered. */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  append(kind: RecordKind, payload: Uint8Array): void {
    if (this.failed) return;
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    header.writeUInt8(kind, 8);
    this.pending.push(header, Buffer.from(payload.buffer, payload.byteOffset, payload.length));
    this.pendingBytes += HEADER + payload.length;
    if (this.pendingBytes > 4 * 1024 * 1024) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered. Synchronous, so a record is on disk (in the OS) when it returns. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.failed) return;
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off);
      this.written += data.length;
    } catch (err) {
      // A partial record may be on disk now: replay stops before it, so nothing after it may follow.
      this.failed = true;
      this.onError(err as Error);
    }
  }

  /** Flushes and closes; closing again does nothing. */
  close(sync = true): void {
    if (this.isClosed) return;
    this.flush();
    this.isClosed = true;
    try {
      if (sync && !this.failed) fsyncSync(this.fd);
    } catch {
      // fsync can fail on some file systems; the data is written to the OS already.
    }
    try {
      closeSync(this.fd);
    } catch {
      // Closing reports deferred write errors on some file systems; the store already knows.
    }
  }
}

/**
 * How a journal ends: `clean`; `truncated` (the last record is cut short: the process stopped
 * mid-write); `corrupt` (a whole record whose checksum does not match: the file was damaged).
 */
export type JournalTail = 'clean' | 'truncated' | 'corrupt';

/** Reads the records of a journal file up to the first torn or corrupt one. */
export function readJournal(path: string): { records: JournalRecord[]; validBytes: number; corruptTail: boolean; tail: JournalTail } {
  // Only a file: a device in its place (/dev/zero) would be read forever.
  if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file`);
  const data = readFileSync(path);
  const records: JournalRecord[] = [];
  let off = 0;
  let tail: JournalTail = 'clean';
  while (off < data.length) {
    if (off + HEADER > data.length) {
      tail = 'truncated';
      break;
    }
    const len = data.readUInt32LE(off);
    const crc = data.readUInt32LE(off + 4);
    const kind = data.readUInt8(off + 8) as RecordKind;
    if (off + HEADER + len > data.length) {
      tail = 'truncated';
      break;
    }
    const payload = data.subarray(off + HEADER, off + HEADER + len);
    if (crc32(payload) !== crc) {
      tail = 'corrupt';
      break;
    }
    records.push({ kind, payload });
    off += HEADER + len;
  }
  return { records, validBytes: off, corruptTail: tail !== 'clean', tail };
}
