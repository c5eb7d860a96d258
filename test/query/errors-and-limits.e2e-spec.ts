import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { TEST_ENV } from '../support/env';
import { uid } from '../fixtures/events';
import { freePort, type AppProcess } from '../support/app-process';
import { eventually } from '../support/clickhouse';
import { PrivateClickHouse } from '../support/private-servers';
import { ev, get, insertEvents, q, startQuery, testKey } from './query-support';

/** Every error code, rate-limit exactness, and behaviour with Redis or ClickHouse away. */
describe('query API errors, rate limits and degraded modes', () => {
  const account = uid('acc');
  const key = testKey('test');
  const V = uid('v');
  const apps: AppProcess[] = [];
  let app: AppProcess;
  const period = { start_date: '2024-03-01', end_date: '2024-03-10' };
  const perf = (params: Record<string, string | string[]> = period, voucher = V) => `/v1/analytics/vouchers/${voucher}/performance${q(params)}`;

  beforeAll(async () => {
    await insertEvents([
      ev('voucher.redeemed', '2024-03-05T10:00:00Z', { account_id: account, livemode: false, voucher_id: V, voucher_code: 'C', order_id: 'o1', customer_id: 'c1', order_amount: 10_000, discount_amount: 1_000, currency: 'USD' }),
    ]);
    app = await startQuery([[key, account]], { RATE_LIMIT_PERFORMANCE: '100', RATE_LIMIT_CUSTOMERS: '50' });
    apps.push(app);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
  });

  const expectError = async (path: string, status: number, code: string, auth: string | undefined = key) => {
    const res = await get(app, path, auth);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(JSON.stringify(res.body)).not.toMatch(/SELECT|voucher_events|at .*\.js|DB::Exception/);
    return res.body.error as { code: string; message: string; details?: Record<string, unknown> };
  };

  it('UNAUTHORIZED without a key, with an unknown key, or with a malformed header', async () => {
    await expectError(perf(), 401, 'UNAUTHORIZED', ''); // '' = no Authorization header
    await expectError(perf(), 401, 'UNAUTHORIZED', testKey('test'));
    await expectError(perf(), 401, 'UNAUTHORIZED', `${key}x`);
    const basic = await fetch(`http://127.0.0.1:${app.port}${perf()}`, { headers: { authorization: `Basic ${key}` } });
    expect(basic.status).toBe(401);
  });

  it('VALIDATION_ERROR names the parameter', async () => {
    const cases: Array<[Record<string, string | string[]>, string, string?]> = [
      [{ start_date: 'yesterday' }, 'start_date'],
      [{ end_date: '2024-02-30' }, 'end_date'],
      [{ ...period, timezone: 'Moon/Base' }, 'timezone'],
      [{ ...period, currency: 'usd' }, 'currency'],
      [{ ...period, currency: 'DOLLARS' }, 'currency'],
      [{ ...period, include_details: 'yes' }, 'include_details'],
      [{ ...period, start: '2024-03-01' }, 'start'],
      [{ ...period, start_date: ['2024-03-01', '2024-03-02'] }, 'start_date'],
    ];
    for (const [params, parameter] of cases) {
      const error = await expectError(perf(params), 400, 'VALIDATION_ERROR');
      expect(error.details).toMatchObject({ parameter });
      expect(error.message.startsWith(`${parameter}:`)).toBe(true);
    }
    const trends = `/v1/analytics/vouchers/${V}/trends`;
    expect((await expectError(`${trends}${q({ ...period, interval: 'hour' })}`, 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'interval' });
    expect((await expectError(`${trends}${q({ ...period, metrics: 'uses,bogus' })}`, 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'metrics' });
    expect((await expectError(`${trends}${q({ ...period, metrics: ['uses', 'x'] })}`, 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'metrics' });
    expect((await expectError(perf(period, "v'; DROP TABLE x; --"), 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'voucher_id' });
    // However long the id: a 400 after auth (with rate-limit headers), not the router's 404.
    const long = await fetch(`http://127.0.0.1:${app.port}${perf(period, 'v'.repeat(5_000))}`, { headers: { authorization: `Bearer ${key}` } });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { details: unknown } }).error.details).toMatchObject({ parameter: 'voucher_id' });
    expect(long.headers.get('x-ratelimit-limit')).not.toBeNull();
    await expectError(perf(period, 'v'.repeat(5_000)), 401, 'UNAUTHORIZED', '');
    // A zone ICU knows but ClickHouse cannot load: refused, not a 500 from the trend's SQL.
    expect((await expectError(`${trends}${q({ ...period, timezone: 'SystemV/EST5' })}`, 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'timezone' });
    expect((await expectError(perf({ ...period, start_date: '' }), 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'start_date' });
    expect((await expectError(`/v1/analytics/vouchers${q({ limit: '0' })}`, 400, 'VALIDATION_ERROR')).details).toMatchObject({ parameter: 'limit' });
  });

  it('INVALID_TIME_PERIOD for more than 90 days (with details) and for start after end', async () => {
    expect(await expectError(perf({ start_date: '2024-01-01', end_date: '2024-04-29' }), 400, 'INVALID_TIME_PERIOD')).toEqual({
      code: 'INVALID_TIME_PERIOD',
      message: 'Time period exceeds maximum allowed range',
      details: { max_days: 90, requested_days: 120 },
    });
    await expectError(perf({ start_date: '2024-03-10', end_date: '2024-03-01' }), 400, 'INVALID_TIME_PERIOD');
  });

  it('VOUCHER_NOT_FOUND and NOT_FOUND for unknown routes, in the envelope', async () => {
    // The product documentation's body, field for field.
    expect(await expectError(perf(period, 'v_missing'), 404, 'VOUCHER_NOT_FOUND')).toEqual({
      code: 'VOUCHER_NOT_FOUND',
      message: 'One or more vouchers not found',
      details: { not_found: ['v_missing'], found: [] },
    });
    await expectError('/v1/analytics/nothing-here', 404, 'NOT_FOUND');
    await expectError('/v1/analytics/vouchers/%E0%A4%A/performance', 400, 'VALIDATION_ERROR');
  });

  it('rate limit is exact under concurrency: 150 parallel requests against 100 → exactly 100 succeed', async () => {
    const own = testKey('test');
    const limitedApp = await startQuery([[own, account]], { RATE_LIMIT_PERFORMANCE: '100', RATE_LIMIT_CUSTOMERS: '50' });
    apps.push(limitedApp);
    const answers = await Promise.all(Array.from({ length: 150 }, () => get(limitedApp, perf(), own)));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect([ok.length, limited.length]).toEqual([100, 50]);
    for (const a of limited) {
      expect(a.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(a.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(a.headers.get('x-ratelimit-remaining')).toBe('0');
    }
    expect(ok.map((a) => Number(a.headers.get('x-ratelimit-remaining'))).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(ok.every((a) => a.headers.get('x-ratelimit-limit') === '100')).toBe(true);
    const reset = Number(ok[0].headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    // Groups are separate windows: customers (limit 50) is untouched, trends has its own.
    const customers = await get(limitedApp, `/v1/analytics/vouchers/${V}/customers${q(period)}`, own);
    expect(customers.status).toBe(200);
    expect(customers.headers.get('x-ratelimit-limit')).toBe('50');
    expect(customers.headers.get('x-ratelimit-remaining')).toBe('49');
  });

  it('INTERNAL_ERROR when ClickHouse rejects a query (never the SQL or a stack); not ready until the schema is migrated', async () => {
    const broken = await startQuery([[key, account]], { CLICKHOUSE_DATABASE: 'no_such_database_here', QUERY_CACHE_ENABLED: 'false' }, { waitReady: false });
    apps.push(broken);
    await eventually(() => get(broken, '/health/live'), (r) => r.status === 200);
    // ClickHouse answers, but the database the app reads has no migrations: not ready for traffic.
    // (Live can answer before the Redis connection is up; wait for it so only the schema is behind.)
    const ready = await eventually(() => get(broken, '/health/ready'), (r) => r.body?.checks?.redis === 'up');
    expect(ready).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { clickhouse: 'schema behind', redis: 'up' } } });
    const res = await get(broken, perf(), key);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
  });

  it('not ready when ClickHouse answers but refuses its credentials (its /ping needs none)', async () => {
    const refused = await startQuery([[key, account]], { CLICKHOUSE_USER: 'no_such_user', QUERY_CACHE_ENABLED: 'false' }, { waitReady: false });
    apps.push(refused);
    const ready = await eventually(() => get(refused, '/health/ready'), (r) => r.body?.checks?.redis === 'up');
    expect(ready).toMatchObject({ status: 503, body: { checks: { clickhouse: 'down' } } });
  });

  it('SERVICE_UNAVAILABLE and readiness 503 when ClickHouse cannot be reached', async () => {
    const port = await freePort();
    const down = await startQuery([[key, account]], { CLICKHOUSE_URL: `http://127.0.0.1:${port}`, QUERY_CACHE_ENABLED: 'false' }, { waitReady: false });
    apps.push(down);
    await eventually(() => get(down, '/health/live'), (r) => r.status === 200);
    const ready = await get(down, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.clickhouse).toBe('down');
    const res = await get(down, perf(), key);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('SERVICE_UNAVAILABLE, not a hung request, when ClickHouse accepts the connection but never answers', async () => {
    // A server that takes the connection and the query, then stays silent: a stalled ClickHouse.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const stalled = await startQuery([[key, account]], { CLICKHOUSE_URL: `http://127.0.0.1:${port}`, QUERY_CACHE_ENABLED: 'false', QUERY_CLICKHOUSE_TIMEOUT_MS: '1500' }, { waitReady: false });
      apps.push(stalled);
      await eventually(() => get(stalled, '/health/live'), (r) => r.status === 200);
      const started = Date.now();
      const res = await get(stalled, perf(), key);
      expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: { error: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) } });
      // Answered once the query timeout ran out, not after it or never.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('a request in flight when SIGTERM arrives is answered in full: ClickHouse connections close after the HTTP server', async () => {
    // ClickHouse behind a proxy that holds every statement 800 ms, so the request is still
    // waiting on its statements when the process is told to stop.
    const target = new URL(TEST_ENV.CLICKHOUSE_URL);
    let requestStatementArrived: () => void = () => undefined;
    const statementArrived = new Promise<void>((resolve) => (requestStatementArrived = resolve));
    const slow = createHttpServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => {
        // The request's voucher lookup (not the coverage read at start-up) is now being held.
        if (Buffer.concat(body).toString().includes('.vouchers')) requestStatementArrived();
        setTimeout(() => {
          const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          upstream.on('error', () => res.destroy());
          upstream.end(Buffer.concat(body));
        }, 800);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const port = (slow.address() as AddressInfo).port;
      const stopping = await startQuery([[key, account]], { CLICKHOUSE_URL: `http://127.0.0.1:${port}`, QUERY_CACHE_ENABLED: 'false' }, { waitReady: false });
      apps.push(stopping);
      await eventually(() => get(stopping, '/health/live'), (r) => r.status === 200);
      const answer = get(stopping, perf(), key);
      await statementArrived; // in flight, not assumed to be after a fixed sleep
      const exited = stopping.stop('SIGTERM');
      const res = await answer;
      // Nest ran its destroy hooks (which closed the ClickHouse pool) before closing the HTTP
      // server, so this answer used to be a 503 SERVICE_UNAVAILABLE (UND_ERR_CLOSED).
      expect([res.status, res.body.voucher_id]).toEqual([200, V]);
      // And the process exits right after: that connection is closed once answered, not kept
      // alive for Fastify's 72 s keep-alive timeout (past Kubernetes' grace period).
      const answeredAt = Date.now();
      await exited;
      expect(Date.now() - answeredAt).toBeLessThan(10_000);
    } finally {
      slow.close();
    }
  });

  it('SERVICE_UNAVAILABLE when ClickHouse refuses the query for load (too many simultaneous queries)', async () => {
    const clickhouse = await PrivateClickHouse.create({ maxConcurrentQueries: 1 });
    try {
      const busy = await startQuery([[key, account]], { CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: 'default', QUERY_CACHE_ENABLED: 'false' }, { waitReady: false });
      apps.push(busy);
      await eventually(() => get(busy, '/health/live'), (r) => r.status === 200);
      // The one slot is taken for 7 s; each statement of the request queues for queue_max_wait_ms
      // (5 s by default), then is refused with code 202.
      const blocker = clickhouse.query('SELECT sleepEachRow(1) FROM system.numbers LIMIT 7 SETTINGS max_block_size = 1');
      await new Promise((r) => setTimeout(r, 500));
      const res = await get(busy, perf(), key);
      await blocker;
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await clickhouse.destroy();
    }
  });

  it('without Redis: still correct answers from ClickHouse, readiness degraded, limits enforced per process', async () => {
    const port = await freePort();
    const noRedis = await startQuery([[key, account]], { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_PERFORMANCE: '3' });
    apps.push(noRedis);
    expect(await get(noRedis, '/health/ready')).toMatchObject({ status: 200, body: { status: 'degraded', checks: { clickhouse: 'up', redis: 'down' } } });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await get(noRedis, perf(), key));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0].body.performance).toMatchObject({ total_uses: 1, total_discount: 1_000 });
    expect(answers[2].headers.get('x-ratelimit-remaining')).toBe('0');
  });
});
