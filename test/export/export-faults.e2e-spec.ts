import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'csv-parse/sync';
import { uid } from '../fixtures/events';
import { freePort, metricValue, startApp, type AppProcess } from '../support/app-process';
import { eventually, testClickHouse } from '../support/clickhouse';
import { TEST_ENV } from '../support/env';
import { Api, exportDir, insertEvents, testKey } from './export-helpers';
import { dataset } from './export-dataset';

const ch = testClickHouse();
const redis = new Redis(TEST_ENV.REDIS_URL);

describe('export lifecycle and faults (real Redis, ClickHouse, worker processes)', () => {
  const account = uid('acc');
  const key = testKey('life');
  const data = dataset(account);
  const running: AppProcess[] = [];
  const start = async (app: 'query' | 'export-worker', env: Record<string, string>, options: { waitReady?: boolean } = {}) => {
    const proc = await startApp(app, env, options);
    running.push(proc);
    return proc;
  };
  const baseEnv = () => ({ API_KEYS: `${key}:${account}`, EXPORT_QUEUE_NAME: uid('exports'), EXPORT_DIR: exportDir(), EXPORT_BACKOFF_MS: '200' });
  const body = { voucher_ids: [data.v1, data.v2], metrics: ['uses', 'discount'], granularity: 'event', time_period: data.period };

  beforeAll(() => insertEvents(ch, data.events));
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    redis.disconnect();
    await ch.close();
  });

  it('goes queued → processing → completed → expired; the expired file is deleted and its download is 410', async () => {
    const env = {
      ...baseEnv(),
      EXPORT_TTL_HOURS: String(4 / 3600),
      EXPORT_EXPIRY_SWEEP_MS: '300',
      EXPORT_FAULT_CHUNK_DELAY_MS: '1500',
      EXPORT_RECORD_RETENTION_DAYS: String(3 / 86_400),
    };
    const query = await start('query', env);
    const api = new Api(query.port, key);
    const created = await api.post('/v1/analytics/export', body);
    expect(created.status).toBe(202);
    const id = created.body.export_id;
    const seen: string[] = [];
    const note = (s: string) => seen[seen.length - 1] !== s && seen.push(s);
    note((await api.get(`/v1/analytics/export/${id}`)).body.status); // no worker yet: queued
    await start('export-worker', env);
    const completed = await api.waitFor(id, (s) => (note(s), s === 'completed'));
    // One stored file per export, named per generation attempt.
    const stored = readdirSync(env.EXPORT_DIR).filter((n) => n.startsWith(`export_${id.slice(7)}.`));
    expect(stored).toEqual([expect.stringMatching(/\.[0-9a-f]{8}\.csv$/)]);
    const file = join(env.EXPORT_DIR, stored[0]);
    expect(existsSync(file)).toBe(true);
    expect(Date.parse(completed.expires_at) - Date.parse(completed.completed_at)).toBe(4_000);
    const expired = await api.waitFor(id, (s) => (note(s), s === 'expired'), 20_000);
    expect(seen).toEqual(['queued', 'processing', 'completed', 'expired']);
    expect(expired.download_url).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    const download = await api.get(`/v1/analytics/export/${id}/download`);
    expect(download.status).toBe(410);
    expect(download.body.error.code).toBe('EXPORT_EXPIRED');
    // The download_url handed out while it was completed: its token expired with the export, and
    // the answer is the export's 410, not a 401 about the link.
    const link = new URL(completed.download_url);
    const viaLink = await api.request('GET', `${link.pathname}${link.search}`, undefined, '');
    expect([viaLink.status, viaLink.body.error.code]).toEqual([410, 'EXPORT_EXPIRED']);
    // Its record is kept for EXPORT_RECORD_RETENTION_DAYS (3 s here), then deleted and unlisted.
    await eventually(async () => (await api.get(`/v1/analytics/export/${id}`)).status, (status) => status === 404, 10_000);
    const listed = (await api.get('/v1/analytics/exports?limit=100')).body.data.map((e: { export_id: string }) => e.export_id);
    expect(listed).not.toContain(id);
  });

  it('a worker SIGKILLed mid-export leaves the job to another worker; the export completes exactly once', async () => {
    const env = { ...baseEnv(), EXPORT_LOCK_DURATION_MS: '2000', EXPORT_STALLED_INTERVAL_MS: '1000' };
    const query = await start('query', env);
    const api = new Api(query.port, key);
    const doomed = await start('export-worker', { ...env, EXPORT_FAULT_CHUNK_DELAY_MS: '60000' });
    const created = await api.post('/v1/analytics/export', body);
    const id = created.body.export_id;
    // Killed while the first bytes sit in a temporary file and the export is "processing".
    await eventually(async () => readdirSync(env.EXPORT_DIR).some((f) => f.startsWith('.partial-')), Boolean, 20_000);
    expect((await api.get(`/v1/analytics/export/${id}`)).body.status).toBe('processing');
    await doomed.stop('SIGKILL');
    expect(readdirSync(env.EXPORT_DIR).filter((f) => f.startsWith('export_'))).toEqual([]);

    const rescuer = await start('export-worker', env);
    const done = await api.waitFor(id, (s) => s === 'completed' || s === 'failed', 30_000);
    expect(done.status).toBe('completed');
    const files = readdirSync(env.EXPORT_DIR);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^export_${id.slice(7)}\\.[0-9a-f]{8}\\.csv$`))]);
    const rows = parse(readFileSync(join(env.EXPORT_DIR, files[0])), { columns: true }) as unknown[];
    expect(rows).toHaveLength(done.record_count);
    expect(done.record_count).toBe(data.events.filter((e) => e.data.livemode === false && e.time < '2024-03-04').length);
    expect(await redis.hget(`va:export:${id}`, 'completions')).toBe('1');
    expect(await metricValue(rescuer.port, 'export_completed_total')).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await redis.hget(`va:export:${id}`, 'completions')).toBe('1');
  });

  it('a worker started while Redis is down serves its probes (not ready) and becomes ready when Redis comes', async () => {
    const port = await freePort(); // nothing listens here yet
    const worker = await start('export-worker', { ...baseEnv(), REDIS_URL: `redis://127.0.0.1:${port}` }, { waitReady: false });
    const probe = async (path: string) => (await fetch(`http://127.0.0.1:${worker.port}${path}`).catch(() => undefined))?.status;
    // It used to wait for Redis before its HTTP side came up, so the startup probe restarted it in a loop.
    await eventually(() => probe('/health/live'), (status) => status === 200, 30_000);
    expect(await probe('/health/ready')).toBe(503);
    const server = spawnRedis(port);
    try {
      await waitForRedis(port);
      await eventually(() => probe('/health/ready'), (status) => status === 200, 30_000);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('a Redis restarted (data lost) between creation and completion: the export answers clearly, never hangs, and new exports work', async () => {
    const port = await freePort();
    let server: ChildProcess = spawnRedis(port);
    try {
      await waitForRedis(port);
      const env = { ...baseEnv(), REDIS_URL: `redis://127.0.0.1:${port}`, EXPORT_FAULT_CHUNK_DELAY_MS: '2000' };
      const query = await start('query', env);
      const worker = await start('export-worker', env);
      const api = new Api(query.port, key);
      const created = await api.post('/v1/analytics/export', body);
      expect(created.status).toBe(202);
      const id = created.body.export_id;
      await api.waitFor(id, (s) => s === 'processing', 20_000);
      const workerReady = async () => (await fetch(`http://127.0.0.1:${worker.port}/health/ready`)).status;

      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      // While Redis is away: a prompt 503, not a hanging request.
      const t0 = Date.now();
      const during = await api.get(`/v1/analytics/export/${id}`);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(during.status).toBe(503);
      expect(during.body.error.code).toBe('SERVICE_UNAVAILABLE');
      // The worker reports itself not ready with a 503 (a probe failure), not a 500.
      expect(await workerReady()).toBe(503);

      server = spawnRedis(port);
      await waitForRedis(port);
      // The record died with Redis: the API says so plainly (404), and keeps saying it.
      const outcome = await eventually(
        async () => (await api.get(`/v1/analytics/export/${id}`)),
        (res) => res.status === 404 || (res.status === 200 && ['completed', 'failed'].includes(res.body.status)),
        30_000,
      );
      if (outcome.status === 404) expect(outcome.body.error.code).toBe('EXPORT_NOT_FOUND');
      // The worker's in-flight attempt ends (no file left behind for a record nobody can see).
      await eventually(async () => readdirSync(env.EXPORT_DIR).filter((f) => f.includes(id.slice(7))), (files) => files.length === 0, 20_000);

      // And the system recovered: a new export completes on the restarted Redis.
      const again = await api.post('/v1/analytics/export', body);
      expect(again.status).toBe(202);
      const done = await api.waitFor(again.body.export_id, (s) => s === 'completed' || s === 'failed', 30_000);
      expect(done.status).toBe('completed');
    } finally {
      server.kill('SIGKILL');
    }
  });
});

function spawnRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
}

async function waitForRedis(port: number): Promise<void> {
  await eventually(
    async () => {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        return await probe.ping();
      } finally {
        probe.disconnect();
      }
    },
    (pong) => pong === 'PONG',
    10_000,
  );
}
