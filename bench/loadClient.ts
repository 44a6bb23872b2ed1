/**
 * Child process: the exporters. A few concurrent loops POST pre-encoded 512-span protobuf
 * bodies over keep-alive connections, each stamped as new spans (see stamp.ts).
 * It runs in its own process so that its work lands on the other core, not the receiver's loop.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { type ClientResult, childArgs, send } from './ipc.js';
import { loadPayloads } from './payloads.js';
import { stampedBody } from './stamp.js';
import { distribution } from './stats.js';

export interface ClientArgs {
  port: number;
  payloadDir: string;
  concurrency: number;
  durationMs: number;
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        agent,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const { port, payloadDir, concurrency, durationMs } = childArgs<ClientArgs>();
  const set = loadPayloads(payloadDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let spans = 0;
  let failures = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const deadline = started + durationMs;

  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const { payload, body } = stampedBody(set, sent++);
      const t = performance.now();
      let status: number;
      try {
        status = await post(agent, port, body);
      } catch {
        status = 0;
      }
      latencies.push(performance.now() - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) spans += payload.spans;
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const result: ClientResult = {
    type: 'done',
    requests: latencies.length,
    spans,
    failures,
    statuses,
    latencyMs: distribution(latencies),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - started,
  };
  await send(result);
  process.disconnect();
}

void main().catch((err: Error) => {
  process.stderr.write(`[bench client] ${err.stack ?? err.message}\n`);
  process.exit(1);
});
