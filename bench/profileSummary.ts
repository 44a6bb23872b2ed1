/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function and
 * inclusive time of functions under src/, as a share of the samples.
 *   node --import tsx bench/profileSummary.ts bench/results/profiles/receiverProcess-….cpuprofile [top]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fmt, table } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  let file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) file = file.slice(modules);
  else if (file.startsWith('/')) file = path.relative(process.cwd(), file);
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profileSummary.ts FILE.cpuprofile [top]');
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  const selfByLabel = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + us);
    // Inclusive time of our functions (src/, or the dist/ bundles): count each label once per sample stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (!seen.has(l) && / (src|dist)\//.test(l)) {
        seen.add(l);
        inclusive.set(l, (inclusive.get(l) ?? 0) + us);
      }
    }
  }
  const rows = (m: Map<string, number>): string[][] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, us]) => [`${fmt((us / total) * 100)}%`, `${fmt(us / 1000, 0)} ms`, l]);
  process.stdout.write(`${file}: ${fmt(total / 1e6)} s sampled\n\nSelf time\n${table(['share', 'time', 'function'], rows(selfByLabel))}\n\n`);
  process.stdout.write(`Inclusive time, functions in src/ or dist/\n${table(['share', 'time', 'function'], rows(inclusive))}\n`);
}

main();
