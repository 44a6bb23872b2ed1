/** Runs the built CLI (dist/cli.js) as a user would. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface Served {
  child: ChildProcessWithoutNullStreams;
  http: number;
  grpc: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

export async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: 'pipe' });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`serve exited with ${code} before listening: ${err}`))),
    // Unref'd: once the ports are read, the timer must not hold the test process for 15 s.
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`serve did not print its ports in time: ${err}`)), 15000).unref()),
  ]);
  const ports = JSON.parse(first) as { http: number; grpc: number };
  return { child, http: ports.http, grpc: ports.grpc, stderr: () => err, exited };
}

export function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
