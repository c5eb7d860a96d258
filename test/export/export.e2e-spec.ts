import { readdirSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { EXPORT_METRICS, signDownloadToken } from '@app/export-core';
import { uid } from '../fixtures/events';
import { startApp, type AppProcess } from '../support/app-process';
import { testClickHouse } from '../support/clickhouse';
import { Api, downloadPath, exportDir, insertEvents, testKey } from './export-helpers';
import { dataset, eventsFor, HOSTILE_REGION, INJECTION_CODE } from './export-dataset';
import { expectedBucket } from './export-oracle';

const ch = testClickHouse();
const SIGNING_KEY = 'test-download-signing-key-0123456789';

describe('exports: formats, errors, signed downloads (real Redis, ClickHouse, BullMQ worker)', () => {
  const accountA = uid('acc');
  const accountB = uid('acc');
  const keyA = testKey('a');
  const keyB = testKey('b');
  const keyLimit = testKey('rl');
  // A second key of account A keeps keyA under the 10/min creation limit.
  const keyA2 = testKey('a2');
  // Schedule creation shares the export group's 10/min limit: the webhook test has its own key.
  const keyHooks = testKey('hooks');
  // Export creation is limited to 10/min per key: the error-case test spreads over its own keys.
  const errorKeys = Array.from({ length: 16 }, () => testKey('err'));
  const data = dataset(accountA);
  const dir = exportDir();
  const env = {
    API_KEYS: [`${keyA}:${accountA}`, `${keyA2}:${accountA}`, `${keyB}:${accountB}`, `${keyLimit}:${accountA}`, `${keyHooks}:${accountA}`, ...errorKeys.map((k) => `${k}:${accountA}`)].join(','),
    EXPORT_QUEUE_NAME: uid('exports'),
    EXPORT_DIR: dir,
    EXPORT_MAX_RECORDS: '50',
    DOWNLOAD_SIGNING_KEY: SIGNING_KEY,
    QUERY_CACHE_ENABLED: 'false',
  };
  let query: AppProcess;
  let worker: AppProcess;
  let api: Api;

  beforeAll(async () => {
    await insertEvents(ch, data.events);
    [query, worker] = await Promise.all([startApp('query', env), startApp('export-worker', env)]);
    api = new Api(query.port, keyA);
  });
  afterAll(async () => {
    await Promise.all([query?.stop(), worker?.stop()]);
    await ch.close();
  });

  const request = (format: string, extra: Record<string, unknown> = {}) => ({
    voucher_ids: [data.v1, data.v2],
    metrics: [...EXPORT_METRICS],
    format,
    time_period: data.period,
    ...extra,
  });

  async function exportAndDownload(body: Record<string, unknown>, key = keyA) {
    const created = await api.post('/v1/analytics/export', body, key);
    expect(created.status).toBe(202);
    const done = await api.waitFor(created.body.export_id, (s) => s === 'completed' || s === 'failed');
    expect(done.status).toBe('completed');
    const file = await api.get(`/v1/analytics/export/${done.export_id}/download`);
    expect(file.status).toBe(200);
    return { created: created.body, done, file };
  }

  /** The expected rows: one per voucher per day, zero-filled, numbers from the metric definitions. */
  function expectedRows() {
    const rows: Array<Record<string, unknown>> = [];
    for (const [voucher, code] of [...[[data.v1, 'SPRING24'], [data.v2, INJECTION_CODE]]].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const day of data.days) rows.push({ voucher_id: voucher, code, currency: 'USD', date: day, ...expectedBucket(eventsFor(data.events, voucher, day)) });
    }
    return rows;
  }

  it('answers 202 with the documented body and CSV rows match the metric definitions cell by cell', async () => {
    const { created, done, file } = await exportAndDownload(request('csv'));
    expect(Object.keys(created).sort()).toEqual(['estimated_completion', 'export_id', 'format', 'metrics', 'status', 'voucher_count']);
    expect(created).toMatchObject({ status: 'processing', format: 'csv', voucher_count: 2, metrics: [...EXPORT_METRICS] });
    expect(created.export_id).toMatch(/^export_[0-9a-f]{16}$/);
    expect(done).toMatchObject({ progress: 100, record_count: 6, time_period: { start: '2024-03-01T00:00:00Z', end: '2024-03-03T23:59:59Z' } });
    expect(done.file_size_bytes).toBe(file.raw.length);
    expect(done.file_size).toMatch(/^\d+(\.\d)?(B|KB)$/);
    expect(file.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="export_${done.export_id.slice(7)}.csv"`);

    const rows = parse(file.raw, { columns: true }) as Array<Record<string, string>>;
    const expected = expectedRows();
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, i) => {
      const want = expected[i];
      expect(Object.keys(row)).toEqual(['voucher_id', 'code', 'currency', 'date', ...EXPORT_METRICS]);
      expect(row.voucher_id).toBe(want.voucher_id);
      // The hostile code starts with '=': neutralised with a leading apostrophe.
      expect(row.code).toBe(want.code === INJECTION_CODE ? `'${INJECTION_CODE}` : want.code);
      expect(row.date).toBe(want.date);
      for (const m of EXPORT_METRICS) expect([m, Number(row[m])]).toEqual([m, want[m]]);
    });
    // Sanity: the oracle's numbers are not all zero (rollbacks and validations are exercised).
    expect(expected.find((r) => r.voucher_id === data.v1 && r.date === '2024-03-01')).toMatchObject({ uses: 2, discount: 3_500, orders: 2, avg_order_value: 17_501 });
    expect(expected.find((r) => r.voucher_id === data.v1 && r.date === '2024-03-02')).toMatchObject({ uses: 0, orders: 2, conversion_rate: 0 });
  });

  it('JSON is one array with numbers as numbers and strings untouched', async () => {
    const { file, done } = await exportAndDownload(request('json', { granularity: 'day' }));
    expect(file.headers.get('content-type')).toMatch(/^application\/json/);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="export_${done.export_id.slice(7)}.json"`);
    const rows = JSON.parse(file.raw.toString('utf8'));
    expect(rows).toEqual(expectedRows());
  });

  it('XLSX read back with exceljs matches cell by cell, injection neutralised', async () => {
    const { file, done } = await exportAndDownload(request('xlsx'));
    expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="export_${done.export_id.slice(7)}.xlsx"`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.raw as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    const header = (ws.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(['voucher_id', 'code', 'currency', 'date', ...EXPORT_METRICS]);
    const expected = expectedRows();
    expect(ws.actualRowCount).toBe(expected.length + 1);
    expected.forEach((want, i) => {
      const cells = (ws.getRow(i + 2).values as unknown[]).slice(1);
      const got = Object.fromEntries(header.map((h, j) => [h, cells[j]]));
      expect(got).toEqual({ ...want, code: want.code === INJECTION_CODE ? `'${INJECTION_CODE}` : want.code });
    });
    // No formula cells anywhere.
    ws.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));
  });

  it('event granularity: one row per raw event with the documented columns, injection neutralised in CSV', async () => {
    const { file, done } = await exportAndDownload(request('csv', { granularity: 'event' }));
    const rows = parse(file.raw, { columns: true }) as Array<Record<string, string>>;
    const inPeriod = data.events.filter((e) => e.data.livemode === false && e.time < '2024-03-04');
    expect(done.record_count).toBe(inPeriod.length);
    expect(rows).toHaveLength(inPeriod.length);
    expect(Object.keys(rows[0])).toEqual([
      'event_id', 'type', 'time', 'voucher_id', 'code', 'customer_id', 'order_id', 'order_amount', 'discount_amount', 'currency', 'segment', 'region', 'result', 'reason',
    ]);
    const first = rows.find((r) => r.order_id === 'o1' && r.type === 'voucher.validated')!;
    expect(first).toMatchObject({ time: '2024-03-01T09:00:00.250Z', voucher_id: data.v1, code: 'SPRING24', customer_id: 'cus_a', order_amount: '10000', discount_amount: '0', currency: 'USD', result: 'valid' });
    const hostile = rows.filter((r) => r.voucher_id === data.v2);
    expect(hostile.map((r) => [r.code, r.customer_id, r.segment, r.region]).sort()).toEqual([
      [`'${INJECTION_CODE}`, "'-cus_d", "'=cmd|' /C calc'!A0", `'${HOSTILE_REGION}`],
      [`'${INJECTION_CODE}`, "'@evil", "'=cmd|' /C calc'!A0", `'${HOSTILE_REGION}`],
    ]);
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+@]/);
  });

  it('event granularity with a currency: only that currency\'s events', async () => {
    const { file, done } = await exportAndDownload({ ...request('csv', { granularity: 'event' }), currency: 'EUR' });
    const rows = parse(file.raw, { columns: true }) as Array<Record<string, string>>;
    const eur = data.events.filter((e) => e.data.livemode === false && e.time < '2024-03-04' && e.data.currency === 'EUR');
    expect(eur.length).toBeGreaterThan(0);
    expect([done.record_count, rows.map((r) => r.order_id).sort()]).toEqual([eur.length, eur.map((e) => e.data.order_id).sort()]);
  });

  it('covers the period to the millisecond, as the analytics API does', async () => {
    // o1's validation is at 09:00:00.250. An end of 09:00:00Z includes up to .000 in the API (and
    // now here); a start at .300 leaves it out. The export used to take whole seconds at both ends.
    const ids = async (start: string, end: string) => {
      const { file } = await exportAndDownload({ ...request('csv', { granularity: 'event' }), voucher_ids: [data.v1], time_period: { start, end } }, keyA2);
      return (parse(file.raw, { columns: true }) as Array<Record<string, string>>).map((r) => `${r.order_id} ${r.type}`).sort();
    };
    expect(await ids('2024-03-01T08:00:00Z', '2024-03-01T09:00:00.250Z')).toEqual(['o1 voucher.validated']);
    expect(await ids('2024-03-01T08:00:00Z', '2024-03-01T09:00:00Z')).toEqual([]);
    expect(await ids('2024-03-01T09:00:00.300Z', '2024-03-01T09:02:00Z')).toEqual(['o1 voucher.redeemed']);
  });

  it('event granularity in XLSX: text cells neutralised, amounts numeric, no formulas', async () => {
    const { file, done } = await exportAndDownload(request('xlsx', { granularity: 'event' }), keyA2);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.raw as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.actualRowCount).toBe(done.record_count + 1);
    const header = (ws.getRow(1).values as unknown[]).slice(1) as string[];
    const rows: Array<Record<string, unknown>> = [];
    ws.eachRow((row, n) => n > 1 && rows.push(Object.fromEntries(header.map((h, j) => [h, (row.values as unknown[])[j + 1]]))));
    const hostile = rows.filter((r) => r.voucher_id === data.v2);
    expect(hostile.map((r) => [r.code, r.customer_id, r.segment, r.region, r.order_amount]).sort()).toEqual([
      [`'${INJECTION_CODE}`, "'-cus_d", "'=cmd|' /C calc'!A0", `'${HOSTILE_REGION}`, 3_334],
      [`'${INJECTION_CODE}`, "'@evil", "'=cmd|' /C calc'!A0", `'${HOSTILE_REGION}`, 3_333],
    ]);
    ws.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));
  });

  it('fails with EXPORT_FAILED when more than max_records rows would be written; download answers 500 with that body', async () => {
    // 12 events per copy; 5 copies of the v1 events = 60 rows > EXPORT_MAX_RECORDS (50)
    const account = accountA;
    const v = uid('v');
    const many = Array.from({ length: 60 }, (_, i) => ({
      type: 'voucher.redeemed' as const,
      time: `2024-03-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
      data: { account_id: account, livemode: false, voucher_id: v, voucher_code: 'MANY', order_id: `m${i}`, customer_id: `c${i}`, order_amount: 100, discount_amount: 1, currency: 'USD' },
    }));
    await insertEvents(ch, many);
    const created = await api.post('/v1/analytics/export', { voucher_ids: [v], metrics: ['uses'], granularity: 'event', time_period: data.period });
    expect(created.status).toBe(202);
    const failed = await api.waitFor(created.body.export_id, (s) => s === 'failed' || s === 'completed');
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      code: 'EXPORT_FAILED',
      message: 'Failed to generate export',
      details: { reason: 'Too many records requested', max_records: 50, requested_records: 60 },
    });
    expect(failed.download_url).toBeUndefined();
    const download = await api.get(`/v1/analytics/export/${failed.export_id}/download`);
    expect(download.status).toBe(500);
    expect(download.body).toEqual({ error: failed.error });
    expect(readdirSync(dir).filter((f) => f.includes(failed.export_id.slice(7)))).toEqual([]);
  });

  it('download_url works without the API key; tampered and expired tokens are rejected', async () => {
    const { done, file } = await exportAndDownload(request('csv', { metrics: ['uses'] }));
    const path = downloadPath(done.download_url);
    expect(path).toMatch(new RegExp(`^/v1/analytics/export/${done.export_id}/download\\?token=\\d+\\.[A-Za-z0-9_-]{43}$`));
    const viaLink = await api.request('GET', path, undefined, '');
    expect(viaLink.status).toBe(200);
    expect(viaLink.raw.equals(file.raw)).toBe(true);

    const token = new URL(done.download_url).searchParams.get('token')!;
    const [exp, mac] = token.split('.');
    const tampered = [
      `${Number(exp) + 3600}.${mac}`,
      `${exp}.${mac.slice(0, 10)}${mac[10] === 'a' ? 'b' : 'a'}${mac.slice(11)}`,
      'nonsense',
    ];
    for (const t of tampered) {
      const res = await api.request('GET', `/v1/analytics/export/${done.export_id}/download?token=${encodeURIComponent(t)}`, undefined, '');
      expect([t, res.status, res.body?.error?.code]).toEqual([t, 401, 'UNAUTHORIZED']);
    }
    // A validly signed token for another export opens nothing here.
    const other = signDownloadToken('export_0000000000000000', Math.floor(Date.now() / 1000) + 600, SIGNING_KEY);
    expect((await api.request('GET', `/v1/analytics/export/${done.export_id}/download?token=${other}`, undefined, '')).status).toBe(401);
    const expired = signDownloadToken(done.export_id, Math.floor(Date.now() / 1000) - 1, SIGNING_KEY);
    const res = await api.request('GET', `/v1/analytics/export/${done.export_id}/download?token=${expired}`, undefined, '');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
    // No token and no key: 401.
    expect((await api.request('GET', `/v1/analytics/export/${done.export_id}/download`, undefined, '')).status).toBe(401);
  });

  it("another tenant's export is EXPORT_NOT_FOUND for status and download, and absent from its list", async () => {
    const created = await api.post('/v1/analytics/export', request('csv', { metrics: ['uses'] }));
    const id = created.body.export_id;
    for (const path of [`/v1/analytics/export/${id}`, `/v1/analytics/export/${id}/download`]) {
      const res = await api.get(path, keyB);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'EXPORT_NOT_FOUND', message: 'Export not found' } });
    }
    expect((await api.get('/v1/analytics/export/export_ffffffffffffffff')).body.error.code).toBe('EXPORT_NOT_FOUND');
    const listB = await api.get('/v1/analytics/exports', keyB);
    expect(listB.status).toBe(200);
    expect(listB.body.data).toEqual([]);
    // B cannot export A's vouchers either: they do not exist for B.
    const stolen = await api.post('/v1/analytics/export', request('csv'), keyB);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error).toEqual({ code: 'VOUCHER_NOT_FOUND', message: 'One or more vouchers not found', details: { not_found: [data.v1, data.v2], found: [] } });
  });

  it.each([
    ['day', 'UTC'],
    ['week', 'America/New_York'],
    ['month', 'Asia/Kathmandu'],
  ])("matches the query API's trends answers for the same period, bucket by bucket (%s, %s)", async (granularity, timezone) => {
    const { file } = await exportAndDownload(request('json', { granularity, timezone }), keyA2);
    const rows = JSON.parse(file.raw.toString('utf8')) as Array<Record<string, unknown>>;
    for (const voucher of [data.v1, data.v2]) {
      const trends = await api.get(
        `/v1/analytics/vouchers/${voucher}/trends?interval=${granularity}&start_date=${data.period.start}&end_date=${data.period.end}&timezone=${timezone}&currency=USD&metrics=${EXPORT_METRICS.join(',')}`,
      );
      expect(trends.status).toBe(200);
      const exported = rows.filter((r) => r.voucher_id === voucher).map(({ voucher_id: _v, code: _c, currency: _cur, ...bucket }) => bucket);
      expect(exported).toEqual(trends.body.trends);
    }
  });

  it('lists the account’s exports newest first, paginated', async () => {
    const page1 = await api.get('/v1/analytics/exports?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.pagination).toMatchObject({ limit: 2, has_more: true, next_cursor: expect.stringMatching(/^\d+\.export_[0-9a-f]{16}$/) });
    // An export created between two page reads (as schedules do) must not repeat an item on the next page.
    const between = await api.post('/v1/analytics/export', request('csv'), keyA2);
    expect(between.status).toBe(202);
    const page2 = await api.get(`/v1/analytics/exports?limit=2&cursor=${page1.body.pagination.next_cursor}`);
    const all = [...page1.body.data, ...page2.body.data];
    expect(all.map((e: { export_id: string }) => e.export_id)).not.toContain(between.body.export_id);
    const created = all.map((e: { created_at: string }) => e.created_at);
    expect([...created].sort().reverse()).toEqual(created);
    expect(new Set(all.map((e: { export_id: string }) => e.export_id)).size).toBe(all.length);
    expect((await api.get('/v1/analytics/exports?limit=0')).body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { parameter: 'limit' } });
    expect((await api.get('/v1/analytics/exports?cursor=2')).body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { parameter: 'cursor' } });
  });

  it('answers the documented errors: VOUCHER_NOT_FOUND with found/not_found, INVALID_TIME_PERIOD, VALIDATION_ERROR naming the field', async () => {
    const keys = [...errorKeys];
    const missing = await api.post('/v1/analytics/export', request('csv', { voucher_ids: [data.v1, 'v_missing'] }), keys.pop());
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'VOUCHER_NOT_FOUND', message: 'One or more vouchers not found', details: { not_found: ['v_missing'], found: [data.v1] } } });

    const long = await api.post('/v1/analytics/export', request('csv', { time_period: { start: '2024-01-01', end: '2024-04-29' } }), keys.pop());
    expect(long.status).toBe(400);
    expect(long.body.error).toEqual({ code: 'INVALID_TIME_PERIOD', message: 'Time period exceeds maximum allowed range', details: { max_days: 90, requested_days: 120 } });

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ voucher_ids: [] }, 'voucher_ids'],
      [{ voucher_ids: undefined }, 'voucher_ids'],
      [{ voucher_ids: ["v'; DROP TABLE x"] }, 'voucher_ids'],
      [{ voucher_ids: Array.from({ length: 101 }, (_, i) => `v${i}`) }, 'voucher_ids'],
      [{ metrics: ['uses', 'profit'] }, 'metrics'],
      [{ metrics: undefined }, 'metrics'],
      [{ format: 'pdf' }, 'format'],
      [{ granularity: 'hour' }, 'granularity'],
      [{ time_period: { start: 'yesterday' } }, 'time_period.start'],
      [{ time_period: 'last_week' }, 'time_period'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ currency: 'usd' }, 'currency'],
      [{ surprise: 1 }, 'surprise'],
    ];
    for (const [patch, field] of cases) {
      const res = await api.post('/v1/analytics/export', { ...request('csv'), ...patch }, keys.pop());
      expect([field, res.status, res.body.error.code, res.body.error.details?.parameter]).toEqual([field, 400, 'VALIDATION_ERROR', field]);
    }
    const noKey = await api.post('/v1/analytics/export', request('csv'), '');
    expect(noKey.status).toBe(401);
  });

  it('refuses a schedule whose webhook points to a loopback, private or metadata address (default settings)', async () => {
    const base = { name: 'x', cron: '0 6 * * 1', export: { voucher_ids: [data.v1], metrics: ['uses'], time_period: 'last_7_days' } };
    for (const webhook_url of ['http://127.0.0.1:9000/hook', 'http://localhost/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://10.0.0.8/']) {
      const res = await api.post('/v1/analytics/export/schedules', { ...base, webhook_url }, keyHooks);
      expect([webhook_url, res.status, res.body.error.code, res.body.error.details.parameter]).toEqual([webhook_url, 400, 'VALIDATION_ERROR', 'webhook_url']);
    }
    const ok = await api.post('/v1/analytics/export/schedules', { ...base, webhook_url: 'https://hooks.example.com/exports' }, keyHooks);
    expect(ok.status).toBe(201);
    expect((await api.request('DELETE', `/v1/analytics/export/schedules/${ok.body.schedule_id}`, undefined, keyHooks)).status).toBe(204);
  });

  it('rate limits export creation at 10 per minute per key with the standard headers', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Api['post']>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await api.post('/v1/analytics/export', request('csv', { voucher_ids: ['v_absent'] }), keyLimit);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(404), 429]);
    expect(last!.headers.get('x-ratelimit-limit')).toBe('10');
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
  });
});
