/**
 * Runs: the traces of one execution of a program. Run-and-trace sets the resource attribute
 * `spanlens.run.id`; any other app's traces are grouped by service instance (instance id, or
 * process id and host) and split where the app was quiet for longer than the gap.
 */
import { createHash } from 'node:crypto';
import type { Resource } from '../model.js';
import { serviceOf } from './rows.js';

export const RUN_ID_ATTRIBUTE = 'spanlens.run.id';
export const DEFAULT_QUIET_GAP_MS = 120_000;

export interface RunKey {
  /** The run id the app set, if any. */
  explicit: string | undefined;
  /** Which instance the trace came from, for grouping when no id is set. */
  key: string;
  service: string;
}

export function runKeyOf(resource: Resource): RunKey {
  const a = resource.attributes;
  const service = serviceOf(resource);
  const explicit = typeof a[RUN_ID_ATTRIBUTE] === 'string' && a[RUN_ID_ATTRIBUTE] ? (a[RUN_ID_ATTRIBUTE] as string) : undefined;
  const instance = a['service.instance.id'] ?? `${a['process.pid'] ?? ''}@${a['host.name'] ?? a['host.id'] ?? ''}`;
  return { explicit, key: `${service}|${String(instance)}`, service };
}

/** A stable id for an implicit run: the instance key's hash and the start of its first trace. */
export function implicitRunId(key: string, startNs: string): string {
  return `auto-${createHash('sha1').update(key).digest('hex').slice(0, 8)}-${startNs.replace(/^0+/, '')}`;
}
