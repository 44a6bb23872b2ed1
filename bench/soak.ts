/**
 * `npm run soak`: real OpenTelemetry exporters (OTLP/HTTP protobuf, gzip and JSON, OTLP/gRPC;
 * half through a BatchSpanProcessor) send LLM-application spans to the real receiver over
 * loopback for minutes while the views refresh, with the store in its worker, persisted to a
 * file and under the default retention. Then a burst past what the store takes, which must be
 * answered 503 + Retry-After (gRPC: UNAVAILABLE) and delivered by the exporters' retries.
 * Prints the figures and writes bench/results/soak.json; exits 1 when an acknowledged span is
 * missing.
 *
 * Options: --minutes N (5), --seconds N (instead of minutes), --exporters N (8),
 * --rate N (spans/s of all exporters together; 55000, what `npm run bench` measured),
 * --producers N (child processes for the exporters; 2), --idle N (seconds the receiver idles after
 * the load before its memory is measured; 30), --no-overload, --profile (CPU profiles
 * of the receiver's process during the soak, in bench/results/profiles/soak/; summarise one with
 * `node --import tsx bench/profileSummary.ts FILE`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRun } from '../test/soak/report.js';
import { SOAK_DEFAULTS, runOverload, runSoak } from '../test/soak/soak.js';

function option(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

async function main(): Promise<void> {
  const seconds = option('seconds') ?? (option('minutes') ?? 5) * 60;
  const exporters = option('exporters') ?? SOAK_DEFAULTS.exporters;
  const spansPerSec = option('rate') ?? SOAK_DEFAULTS.spansPerSec;
  const producers = option('producers') ?? SOAK_DEFAULTS.producers;
  // Memory "after retention" as a user would see it a little after the app stops, not mid-collection.
  const idleSeconds = option('idle') ?? 30;
  const say = (line: string): void => void process.stdout.write(`[soak] ${line}\n`);
  const load = os.loadavg()[0]!;
  say(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; load average ${load.toFixed(2)} before starting`);
  say(`${exporters} exporters in ${producers} processes, ${spansPerSec} spans/s for ${seconds} s`);
  const profileDir = process.argv.includes('--profile') ? path.join(__dirname, 'results', 'profiles', 'soak') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const soak = await runSoak({ seconds, exporters, spansPerSec, producers, markEverySeconds: seconds >= 120 ? 15 : 5, idleSeconds, profileDir, progress: say });
  process.stdout.write(`\n${describeRun(`Soak: ${exporters} exporters, ${(seconds / 60).toFixed(1)} min, target ${spansPerSec} spans/s`, soak)}\n`);
  let overload;
  if (!process.argv.includes('--no-overload')) {
    say('overload: every exporter starts 30 exports of 512 spans at once');
    overload = await runOverload({ exporters, producers, progress: say });
    process.stdout.write(`\n${describeRun(`Overload: ${exporters} exporters × 30 concurrent exports of 512 spans`, overload)}\n`);
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'soak.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadBefore: load, options: { seconds, exporters, spansPerSec, producers, idleSeconds }, soak, overload }, null, 2));
  process.stdout.write(`\nWrote ${path.relative(process.cwd(), file)}\n`);
  const lost = soak.ledger.lost + (overload?.ledger.lost ?? 0);
  if (lost > 0) {
    process.stderr.write(`soak: ${lost} acknowledged spans are missing from the store\n`);
    process.exitCode = 1;
  }
}

void main().catch((err: Error) => {
  process.stderr.write(`soak failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
