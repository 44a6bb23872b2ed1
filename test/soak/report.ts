/** The soak's figures as text: what was held, what was lost (nothing), what it cost. */
import { fmt, fmtInt, table } from '../../bench/stats.js';
import type { StoreMemory } from '../../src/core/store/compaction.js';
import { MiB, type ResidentMap } from './memory.js';
import type { RunResult } from './soak.js';

const mib = (bytes: number): string => `${fmt(bytes / MiB, 0)} MiB`;
const signedMib = (bytes: number): string => `${bytes < 0 ? '−' : '+'}${mib(Math.abs(bytes))}`;

/** One line: the figures a test run reports. */
export function summarizeRun(r: RunResult): string {
  const l = r.ledger;
  const refused = Object.entries(r.statuses).filter(([code]) => code !== '200').map(([c, n]) => `${n} × ${c}`).join(', ') || 'none';
  return (
    `${fmtInt(l.ackedSpans / r.seconds)} spans/s acknowledged for ${fmt(r.seconds, 0)} s; ${fmtInt(l.ackedSpans)} acknowledged, lost ${l.lost}; ` +
    `loop delay p50 ${fmt(r.loopDelay.p50)} / p99 ${fmt(r.loopDelay.p99)} ms (idle process p99 ${fmt(r.idleLoopDelay.p99)} ms); ` +
    `heap ${mib(r.memory.baseline.heapUsed)} → ${mib(r.memory.after.heapUsed)}, rss ${mib(r.memory.baseline.rss)} → ${mib(r.memory.after.rss)} (a new process on the kept store: ${mib(r.memory.retained.rss)}); ` +
    `HTTP refusals ${refused}, store busy ${r.storeBusy}, gRPC waited ${r.grpcWaited}, retries ${r.producers.retries}`
  );
}

function storeMemory(m: StoreMemory | undefined): string {
  if (!m) return 'not reported';
  return `SQLite heap ${mib(m.engineBytes)}, database ${mib(m.fileBytes)} (${mib(m.liveBytes)} in use), worker JS heap ${mib(m.threadHeapBytes)} (${mib(m.threadHeapUsedBytes)} in use), ${m.compactions} compactions`;
}

function residentLine(r: RunResult): string | undefined {
  const { baseline, after, retained } = r.memory;
  if (!baseline.map || !after.map || !retained.map) return undefined;
  const kinds: [keyof ResidentMap, string][] = [
    ['mallocHeap', "main thread's malloc heap"],
    ['v8Pages', 'V8 heap pages (both threads)'],
    ['otherAnonymous', 'other anonymous (WebAssembly memory, database buffers, the worker\'s malloc arenas)'],
    ['files', 'mapped files'],
  ];
  const parts = kinds.map(([k, label]) => `${label} ${mib(baseline.map![k])} → ${mib(after.map![k])} (new process on the kept store: ${mib(retained.map![k])})`);
  return `  rss by kind: ${parts.join('; ')}`;
}

export function describeRun(title: string, r: RunResult): string {
  const l = r.ledger;
  const p = r.producers;
  const offered = p.exporters.reduce((n, e) => n + e.offered, 0);
  const failed = p.exporters.reduce((n, e) => n + e.failed, 0);
  const behind = p.exporters.reduce((n, e) => n + e.behind, 0);
  const refused = Object.entries(r.statuses).filter(([code]) => code !== '200');
  const lines: string[] = [
    title,
    `  load: ${fmt(r.seconds, 0)} s; ${fmtInt(l.ackedSpans / r.seconds)} spans/s acknowledged (${fmtInt(offered / r.seconds)} offered); receiver process CPU ${fmt(r.receiverCpuPercent, 0)} % (both threads), exporters ${fmt((p.cpuSeconds / r.seconds) * 100, 0)} %`,
    `  spans: ${fmtInt(offered)} offered, ${fmtInt(l.ackedSpans)} acknowledged in ${fmtInt(l.ackedTraces)} traces, ${fmtInt(failed)} failed at the exporter, ${fmtInt(p.droppedByProcessor)} dropped by a full BatchSpanProcessor queue, ${fmtInt(behind * 512)} not sent (exporter behind)`,
    `  ledger: ${fmtInt(l.present)} acknowledged spans in the store + ${fmtInt(l.deletedByRetention)} in traces retention deleted = ${fmtInt(l.present + l.deletedByRetention)}; LOST ${fmtInt(l.lost)}; the store inserted ${fmtInt(l.inserted)}`,
    `  store at the end: ${fmtInt(r.spanCountAtStop)} spans; reopened from its file: ${fmtInt(r.reopenedSpans)}; runs kept: ${l.runs.map((run) => `${run.service} ${fmtInt(run.traces)} traces`).join(', ')}`,
    `  event-loop delay (receiver thread, 10 ms resolution, the load after its first interval when a soak): p50 ${fmt(r.loopDelay.p50)} ms, p99 ${fmt(r.loopDelay.p99)} ms, max ${fmt(r.loopDelay.max)} ms; an idle process meanwhile: p99 ${fmt(r.idleLoopDelay.p99)} ms, max ${fmt(r.idleLoopDelay.max)} ms (the machine's share)`,
    `  memory (receiver process): baseline ${mib(r.memory.baseline.rss)} rss / ${mib(r.memory.baseline.heapUsed)} heap; after retention, ${fmt(r.memory.idleSeconds, 1)} s idle and GC ${mib(r.memory.after.rss)} rss / ${mib(r.memory.after.heapUsed)} heap; peak rss ${mib(r.memory.maxRss)}`,
    `  memory against the data kept: a new receiver process opened on the store retention left: ${mib(r.memory.retained.rss)} rss / ${mib(r.memory.retained.heapUsed)} heap; this process after the load: ${signedMib(r.memory.after.rss - r.memory.retained.rss)} rss`,
    residentLine(r) ?? '  rss by kind: not known on this system (no /proc/self/smaps)',
    `  store memory (in the worker): ${storeMemory(r.memory.baseline.store)} at the start; ${storeMemory(r.memory.after.store)} at the end; ${storeMemory(r.memory.retained.store)} in the new process`,
    `  views: ${r.views.cycles} refreshes (runs, a run's traces, newest trace's timeline, a span's detail), ${r.views.errors} errors, ${r.views.gone} times the newest trace was deleted mid-refresh; refresh ${fmt(r.views.cycleMs.median, 0)} ms median, ${fmt(r.views.cycleMs.p99, 0)} ms p99, ${fmt(r.views.cycleMs.max, 0)} ms max${r.views.firstError ? `; first error: ${r.views.firstError}` : ''}`,
    `  overload answers: HTTP ${refused.length ? refused.map(([c, n]) => `${n} × ${c}`).join(', ') : 'none'}; store busy (HTTP + gRPC) ${r.storeBusy}; gRPC calls that waited for room ${r.grpcWaited}; exporter retries scheduled ${p.retries}, gave up ${p.gaveUp}`,
  ];
  const rows = p.exporters.map((e) => [
    e.name,
    `${e.kind}, ${e.via}`,
    fmtInt(e.acked),
    fmtInt(e.failed),
    fmt(e.exportMs.median, 0),
    fmt(e.exportMs.p99, 0),
    Object.entries(e.failures).map(([why, n]) => `${n} × ${why}`).join('; ') || '—',
  ]);
  lines.push('', table(['exporter', 'kind', 'acked spans', 'failed', 'export ms p50', 'p99', 'failures'], rows));
  const marks = r.marks.map((m, i) => {
    const prev = r.marks[i - 1];
    const rate = prev ? ((m.accepted - prev.accepted) / (m.at - prev.at)) * 1000 : NaN;
    return [fmt(m.atSeconds, 0), fmtInt(rate), fmtInt(m.spanCount), m.loopDelay ? fmt(m.loopDelay.p99) : '—', m.loopDelay ? fmt(m.loopDelay.max) : '—', mib(m.rss), mib(m.heapUsed)];
  });
  lines.push('', table(['s', 'spans/s', 'in store', 'delay p99 ms', 'max ms', 'rss', 'heap'], marks));
  if (r.warnings.length) lines.push('', `  receiver warnings: ${r.warnings.join(' | ')}`);
  return lines.join('\n');
}
