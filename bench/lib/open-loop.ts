import http from 'node:http';
import { percentiles } from './percentile';

export interface OpenLoopResult {
  requests: number;
  non2xx: number;
  errors: number;
  /** Requests completed per second over the run. */
  achievedRps: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Latency at a fixed offered load: requests are sent on a steady schedule (rate per second) over
 * at most `connections` keep-alive connections, whether earlier ones have answered or not, and
 * each latency is measured from the request's scheduled time, so a stall shows up in every
 * request it delays (no coordinated omission).
 *
 * autocannon is the closed-loop tool used for throughput; its own rate option sends each second's
 * quota in a burst at the start of the second, which measures burst queueing rather than latency
 * at a rate.
 */
export async function openLoop(
  url: string,
  headers: Record<string, string>,
  ratePerSecond: number,
  seconds: number,
  connections: number,
  sharedAgent?: http.Agent,
): Promise<OpenLoopResult> {
  const agent = sharedAgent ?? new http.Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(ratePerSecond * seconds);
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  let sent = 0;
  const started = performance.now();

  await new Promise<void>((resolve) => {
    const settle = () => {
      if (++settled === total) resolve();
    };
    const send = (scheduledAt: number) => {
      const request = http.get(url, { agent, headers }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - scheduledAt);
          if (response.statusCode !== 200) non2xx++;
          settle();
        });
      });
      request.on('error', () => {
        errors++;
        settle();
      });
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        send(started + sent * intervalMs);
        sent++;
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedS = (performance.now() - started) / 1000;
  const [p50, p95, p99] = percentiles(latencies, [50, 95, 99]);
  if (!sharedAgent) agent.destroy();
  return {
    requests: total,
    non2xx,
    errors,
    achievedRps: latencies.length / elapsedS,
    p50,
    p95,
    p99,
  };
}

/**
 * The same measurement in a fresh child process: the benchmark process has a large heap by the
 * time it gets here (peers, autocannon's per-response times), and its garbage collection pauses
 * would delay the generator's timers and reads and be counted as the service's latency.
 */
export async function openLoopInChild(url: string, headers: Record<string, string>, ratePerSecond: number, seconds: number, connections: number): Promise<OpenLoopResult> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, JSON.stringify({ url, headers, ratePerSecond, seconds, connections })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`open-loop generator exited with ${code}`);
  return JSON.parse(out) as OpenLoopResult;
}

if (require.main === module) {
  const { url, headers, ratePerSecond, seconds, connections } = JSON.parse(process.argv[2]) as {
    url: string;
    headers: Record<string, string>;
    ratePerSecond: number;
    seconds: number;
    connections: number;
  };
  // One untimed second first, on the same connections: opens them and warms the client up.
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  void openLoop(url, headers, ratePerSecond, 1, connections, agent)
    .then(() => openLoop(url, headers, ratePerSecond, seconds, connections, agent))
    .then((result) => {
      agent.destroy();
      process.stdout.write(JSON.stringify(result));
    });
}
