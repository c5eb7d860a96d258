import { spawn, type ChildProcess } from 'node:child_process';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { appCommand } = require('../../scripts/app-command.js') as { appCommand: (app: string) => { command: string; args: string[]; env: Record<string, string> } };

export type BenchApp = 'ingest' | 'query' | 'export-worker';

const PORT_VARIABLE: Record<BenchApp, string> = { ingest: 'INGEST_HTTP_PORT', query: 'PORT', 'export-worker': 'EXPORT_WORKER_HTTP_PORT' };

/** Spawns one app from the build output (as `npm start` does), on `port`, with `env` over this process's; warnings and errors only. */
export function spawnBenchApp(app: BenchApp, port: number, env: Record<string, string>): ChildProcess {
  const { command, args, env: runEnv } = appCommand(app);
  return spawn(command, args, {
    env: { ...process.env, ...runEnv, LOG_LEVEL: 'warn', ...env, [PORT_VARIABLE[app]]: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Waits until the app's /health/ready answers 200; fails if it exits first or takes over `timeoutMs`. */
export async function waitReady(child: ChildProcess, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false)) return;
    if (child.exitCode !== null) throw new Error(`the app on port ${port} exited before it was ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`the app on port ${port} was not ready within ${timeoutMs / 1000} s`);
}

/** spawnBenchApp, then waitReady. */
export async function startBenchApp(app: BenchApp, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnBenchApp(app, port, env);
  await waitReady(child, port);
  return child;
}
