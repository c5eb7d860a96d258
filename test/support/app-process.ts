import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually } from './clickhouse';
import { TEST_ENV } from './env';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { appCommand } = require('../../scripts/app-command.js') as {
  appCommand: (app: string) => { command: string; args: string[]; env: Record<string, string> };
};

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface AppProcess {
  port: number;
  child: ChildProcess;
  output: () => string;
  /** Sends the signal and resolves with the exit code once the process has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  exited: Promise<number | null>;
}

/** Runs one app from the build output (as `npm start` does) and waits until /health/ready says ok. */
export async function startApp(
  app: 'ingest' | 'query' | 'export-worker',
  env: Record<string, string>,
  options: { waitReady?: boolean } = {},
): Promise<AppProcess> {
  const port = await freePort();
  const portVar = { ingest: 'INGEST_HTTP_PORT', query: 'PORT', 'export-worker': 'EXPORT_WORKER_HTTP_PORT' }[app];
  const { command, args, env: runEnv } = appCommand(app);
  const child = spawn(command, args, {
    env: {
      ...process.env,
      ...runEnv,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: TEST_ENV.KAFKA_BROKERS,
      CLICKHOUSE_URL: TEST_ENV.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: TEST_ENV.CLICKHOUSE_DATABASE,
      REDIS_URL: TEST_ENV.REDIS_URL,
      KAFKA_SESSION_TIMEOUT_MS: '6000', // a killed consumer's partitions move on quickly
      [portVar]: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: AppProcess = {
    port,
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${app} exited early:\n${output}`);
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status;
      },
      (status) => status === 200,
      60_000,
    ).catch((err) => {
      child.kill('SIGKILL');
      throw new Error(`${String(err)}\n--- ${app} output ---\n${output}`);
    });
  }
  return proc;
}

/** Reads one metric's value (summed over label sets matching `labels`) from an app's /metrics. */
export async function metricValue(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([-0-9.e+]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) total += Number(match[3]);
  }
  return total;
}
