import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { verifyWebhook } from '@app/export-core';
import { uid } from '../fixtures/events';
import { freePort, startApp, type AppProcess } from '../support/app-process';
import { eventually, testClickHouse } from '../support/clickhouse';
import { Api, downloadPath, exportDir, insertEvents, testKey } from './export-helpers';
import { dataset } from './export-dataset';

const ch = testClickHouse();
const SECRET = 'test-webhook-secret-0123456789abcdef';

interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  answered: number;
}

describe('scheduled exports and signed webhooks (real Redis, BullMQ job schedulers)', () => {
  const account = uid('acc');
  const key = testKey('sched');
  const otherKey = testKey('other');
  const data = dataset(account);
  const received: Received[] = [];
  let receiver: Server;
  let receiverPort: number;
  let query: AppProcess;
  let worker: AppProcess;
  let api: Api;

  beforeAll(async () => {
    await insertEvents(ch, data.events);
    receiverPort = await freePort();
    // The very first delivery is refused, so retries with backoff are exercised.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const answered = received.length === 0 ? 500 : 200;
        received.push({ body, headers: req.headers, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));
    const env = {
      API_KEYS: `${key}:${account},${otherKey}:${uid('acc')}`,
      EXPORT_QUEUE_NAME: uid('exports'),
      EXPORT_DIR: exportDir(),
      WEBHOOK_SIGNING_SECRET: SECRET,
      WEBHOOK_BACKOFF_MS: '200',
      // The receiver listens on 127.0.0.1; by default webhooks may only reach public addresses.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // The suite's schedules tick every 2 s; the cap is reached by the secrets test's three.
      EXPORT_SCHEDULE_MIN_INTERVAL_SECONDS: '2',
      EXPORT_SCHEDULES_PER_ACCOUNT: '3',
    };
    [query, worker] = await Promise.all([startApp('query', env), startApp('export-worker', env)]);
    api = new Api(query.port, key);
  });
  afterAll(async () => {
    await Promise.all([query?.stop(), worker?.stop()]);
    await new Promise((r) => receiver.close(r));
    await ch.close();
  });

  it('a short cron fires, produces normal exports and calls the webhook with a valid signature (retried after a 500)', async () => {
    const created = await api.post('/v1/analytics/export/schedules', {
      name: 'every two seconds',
      cron: '*/2 * * * * *',
      timezone: 'UTC',
      export: { voucher_ids: [data.v1], metrics: ['uses', 'discount'], format: 'csv', time_period: 'last_30_days' },
      webhook_url: `http://127.0.0.1:${receiverPort}/hooks/exports`,
    });
    expect(created.status).toBe(201);
    const scheduleId = created.body.schedule_id;
    expect(created.body).toMatchObject({ name: 'every two seconds', cron: '*/2 * * * * *', timezone: 'UTC', export: { time_period: 'last_30_days', format: 'csv' } });
    expect(scheduleId).toMatch(/^sched_[0-9a-f]{16}$/);
    const scheduleSecret = created.body.webhook_secret;
    expect(scheduleSecret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const delivered = await eventually(async () => received.filter((r) => r.answered === 200), (list) => list.length >= 1, 30_000);
    const call = delivered[0];
    expect(call.headers['content-type']).toBe('application/json');
    // Signed with the schedule's own secret: the deployment's master key does not verify it.
    expect(verifyWebhook(call.body, String(call.headers['x-voucher-signature']), scheduleSecret)).toBe(true);
    expect(verifyWebhook(call.body.replace('completed', 'failed'), String(call.headers['x-voucher-signature']), scheduleSecret)).toBe(false);
    expect(verifyWebhook(call.body, String(call.headers['x-voucher-signature']), SECRET)).toBe(false);
    const payload = JSON.parse(call.body);
    expect(payload).toMatchObject({ status: 'completed', schedule_id: scheduleId, format: 'csv', voucher_count: 1, metrics: ['uses', 'discount'] });
    expect(call.headers['x-voucher-event']).toBe('export.completed');

    // The webhook's export is an ordinary export: visible, downloadable with its signed link.
    const status = await api.get(`/v1/analytics/export/${payload.export_id}`);
    expect(status.status).toBe(200);
    expect(status.body.schedule_id).toBe(scheduleId);
    const file = await api.request('GET', downloadPath(payload.download_url), undefined, '');
    expect(file.status).toBe(200);
    expect(file.raw.toString('utf8').split('\n')[0]).toBe('"voucher_id","code","currency","date","uses","discount"');

    // The refused first call was retried: that export records two attempts and a delivery.
    const firstPayload = JSON.parse(received[0].body);
    const first = await eventually(
      async () => (await api.get(`/v1/analytics/export/${firstPayload.export_id}`)).body,
      (b) => b.webhook?.status === 'delivered',
      20_000,
    );
    expect(first.webhook).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200, url: `http://127.0.0.1:${receiverPort}/hooks/exports` });

    // Schedules CRUD, tenant-scoped; deleting stops further runs.
    expect((await api.get('/v1/analytics/export/schedules')).body.data.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([scheduleId]);
    // An export without a zone of its own takes the schedule's (its windows and days are read there).
    const berlin = await api.post('/v1/analytics/export/schedules', {
      name: 'monthly',
      cron: '0 0 1 * *',
      timezone: 'Europe/Berlin',
      export: { voucher_ids: [data.v1], metrics: ['uses'], format: 'csv', time_period: 'previous_month' },
    });
    expect([berlin.status, berlin.body.export.timezone]).toEqual([201, 'Europe/Berlin']);
    expect((await api.request('DELETE', `/v1/analytics/export/schedules/${berlin.body.schedule_id}`)).status).toBe(204);
    const read = (await api.get(`/v1/analytics/export/schedules/${scheduleId}`)).body;
    expect(read.next_run_at).toEqual(expect.any(String));
    expect(read.webhook_secret).toBe(scheduleSecret);
    expect((await api.get(`/v1/analytics/export/schedules/${scheduleId}`, otherKey)).status).toBe(404);
    expect((await api.request('DELETE', `/v1/analytics/export/schedules/${scheduleId}`, undefined, otherKey)).status).toBe(404);
    expect((await api.request('DELETE', `/v1/analytics/export/schedules/${scheduleId}`)).status).toBe(204);
    expect((await api.get(`/v1/analytics/export/schedules/${scheduleId}`)).body.error.code).toBe('SCHEDULE_NOT_FOUND');
    await new Promise((r) => setTimeout(r, 1_000)); // a tick already taken may still finish
    const countAfterDelete = await scheduledExports(scheduleId);
    await new Promise((r) => setTimeout(r, 4_500));
    expect(await scheduledExports(scheduleId)).toBe(countAfterDelete);
  });

  it('hands each schedule with a webhook its own secret, and none without one', async () => {
    const base = { name: 'weekly', cron: '0 6 * * 1', export: { voucher_ids: [data.v1], metrics: ['uses'], time_period: 'last_7_days' } };
    const hooked = (await api.post('/v1/analytics/export/schedules', { ...base, webhook_url: 'https://example.com/a' })).body;
    const hooked2 = (await api.post('/v1/analytics/export/schedules', { ...base, webhook_url: 'https://example.com/a' })).body;
    const plain = (await api.post('/v1/analytics/export/schedules', base)).body;
    expect(hooked.webhook_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(hooked2.webhook_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(hooked2.webhook_secret).not.toBe(hooked.webhook_secret);
    expect(plain).not.toHaveProperty('webhook_secret');
    // Each run is a full export: schedules are capped per account, and so is how often they run.
    const fourth = await api.post('/v1/analytics/export/schedules', base);
    expect([fourth.status, fourth.body.error.details.parameter]).toEqual([400, 'schedule']);
    for (const s of [hooked, hooked2, plain]) expect((await api.request('DELETE', `/v1/analytics/export/schedules/${s.schedule_id}`)).status).toBe(204);
  });

  it('refuses a bad cron, a bad window and unknown vouchers', async () => {
    const base = { name: 'x', cron: '0 6 * * 1', export: { voucher_ids: [data.v1], metrics: ['uses'], time_period: 'last_7_days' } };
    const badCron = await api.post('/v1/analytics/export/schedules', { ...base, cron: 'every monday' }, otherKey);
    expect([badCron.status, badCron.body.error.details.parameter]).toEqual([400, 'cron']);
    const badCron2 = await api.post('/v1/analytics/export/schedules', { ...base, cron: '99 * * * *' }, otherKey);
    expect([badCron2.status, badCron2.body.error.details?.parameter]).toEqual([400, 'cron']);
    for (const tooOften of ['* * * * * *', '0,1 * * * * *']) {
      const res = await api.post('/v1/analytics/export/schedules', { ...base, cron: tooOften }, otherKey);
      expect([res.status, res.body.error.details?.parameter, res.body.error.message]).toEqual([400, 'cron', 'cron: runs more often than once every 2 seconds']);
    }
    const badWindow = await api.post('/v1/analytics/export/schedules', { ...base, export: { ...base.export, time_period: 'last_year' } }, otherKey);
    expect([badWindow.status, badWindow.body.error.details.parameter]).toEqual([400, 'export.time_period']);
    const badHook = await api.post('/v1/analytics/export/schedules', { ...base, webhook_url: 'ftp://x' }, otherKey);
    expect([badHook.status, badHook.body.error.details.parameter]).toEqual([400, 'webhook_url']);
    const foreign = await api.post('/v1/analytics/export/schedules', base, otherKey);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'VOUCHER_NOT_FOUND']);
  });

  async function scheduledExports(scheduleId: string): Promise<number> {
    const list = await api.get('/v1/analytics/exports?limit=100');
    return list.body.data.filter((e: { schedule_id?: string }) => e.schedule_id === scheduleId).length;
  }
});
