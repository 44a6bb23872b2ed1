/**
 * Large traces kept as `spanlens show` prints them (views/cliViews.ts makes and reads them), so
 * that showing a finished trace is a read: decoding and normalizing 10,000 spans from the bodies
 * costs half a second, reading the form a tenth of that.
 *
 * A form is derived data. Its key is the trace's state when it was made (its span count, times
 * and log count) and the maker's version (output format, price table). A form whose key no longer
 * matches is never used: a late span or log, or a new version, makes the trace show from its
 * bodies again until a new form is made. Deleting or clearing a trace deletes its form.
 */
import type { SqlValue } from 'sql.js';
import type { SpanTables } from './spanTables.js';

/** The key of trace `t` as of now; parameter 1 is the maker's version. Spans and logs are only ever added to a trace, so their counts change with its content. */
const KEY_SQL = `? || '|' || t.span_count || '|' || t.start_ns || '|' || t.end_ns || '|' || (SELECT COUNT(*) FROM logs l WHERE l.trace_id = t.trace_id)`;

export interface ShownFormRecord {
  traceId: string;
  key: string;
  /** The printed JSON, raw-deflated. */
  form: Uint8Array;
}

/** The trace's current key for `version`, or undefined when there is no such trace. */
export function formKey(tables: SpanTables, traceId: string, version: string): string | undefined {
  return tables.all(`SELECT ${KEY_SQL} FROM traces t WHERE t.trace_id = ?`, [version, traceId])[0]?.[0] as string | undefined;
}

/** The trace's form if it was made by `version` from the trace as it is now. */
export function currentForm(tables: SpanTables, traceId: string, version: string): Uint8Array | undefined {
  const row = tables.all(`SELECT f.form FROM shown_forms f JOIN traces t ON t.trace_id = f.trace_id WHERE f.trace_id = ? AND f.key = ${KEY_SQL}`, [traceId, version]);
  return row[0]?.[0] as Uint8Array | undefined;
}

/** Traces of at least `minSpans` spans without a current form, the most recent first. */
export function tracesWithoutForm(tables: SpanTables, version: string, minSpans: number, limit: number): string[] {
  const rows = tables.all(
    `SELECT t.trace_id FROM traces t LEFT JOIN shown_forms f ON f.trace_id = t.trace_id
     WHERE t.span_count >= ? AND (f.key IS NULL OR f.key != ${KEY_SQL}) ORDER BY t.start_ns DESC LIMIT ?`,
    [minSpans, version, limit] as SqlValue[],
  );
  return rows.map((r) => r[0] as string);
}

export function putForm(tables: SpanTables, record: ShownFormRecord): void {
  tables.db.run(`INSERT OR REPLACE INTO shown_forms (trace_id, key, form) VALUES (?, ?, ?)`, [record.traceId, record.key, record.form]);
}

/** A journal record's payload: trace id and key as length-prefixed UTF-8, then the form. */
export function encodeFormRecord(record: ShownFormRecord): Uint8Array {
  const id = Buffer.from(record.traceId);
  const key = Buffer.from(record.key);
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id.length, 0);
  head.writeUInt16LE(key.length, 2);
  return Buffer.concat([head, id, key, record.form]);
}

export function decodeFormRecord(payload: Uint8Array): ShownFormRecord {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const idEnd = 4 + buf.readUInt16LE(0);
  const keyEnd = idEnd + buf.readUInt16LE(2);
  if (keyEnd > buf.length) throw new RangeError('a shown-form record shorter than its header says');
  return { traceId: buf.toString('utf8', 4, idEnd), key: buf.toString('utf8', idEnd, keyEnd), form: buf.subarray(keyEnd) };
}
