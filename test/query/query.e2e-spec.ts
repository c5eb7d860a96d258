import { makeEvent, uid } from '../fixtures/events';
import { metricValue, startApp, type AppProcess } from '../support/app-process';
import { eventually } from '../support/clickhouse';
import { createTopics, produceEvents } from '../support/kafka';
import Redis from 'ioredis';
import { TEST_ENV } from '../support/env';
import { testVersions } from '../support/versions';
import { get, insertEvents, q, startQuery, testKey } from './query-support';

/** Events go through real Kafka and a real ingest; answers are checked over HTTP, exactly. */
describe('query API end to end (Kafka → ingest → ClickHouse → HTTP)', () => {
  const id = uid('query');
  const env = { KAFKA_TOPIC: `${id}-events`, KAFKA_DLQ_TOPIC: `${id}-dlq`, KAFKA_CONSUMER_GROUP: `${id}-ingest` };
  const acc1 = uid('acc');
  const acc2 = uid('acc');
  const key1 = testKey('test');
  const live1 = testKey('live');
  const key2 = testKey('test');
  const V = uid('v');
  const onlyInAcc2 = uid('v');
  let ingest: AppProcess;
  let query: AppProcess;

  const redeemed = (account: string, voucher: string, order: string, extra: Record<string, unknown> = {}, time = '2024-03-05T10:00:00Z') =>
    makeEvent('voucher.redeemed', { account_id: account, voucher_id: voucher, voucher_code: 'CODE1', order_id: order, customer_id: 'cus_1', order_amount: 10_000, discount_amount: 1_000, ...extra }, { time });
  const period = q({ start_date: '2024-03-01', end_date: '2024-03-10' });
  const perf = (voucher: string) => `/v1/analytics/vouchers/${voucher}/performance${period}`;

  beforeAll(async () => {
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    [ingest, query] = await Promise.all([
      startApp('ingest', env),
      startQuery([
        [key1, acc1],
        [live1, acc1],
        [key2, acc2],
      ]),
    ]);
    await produceEvents(env.KAFKA_TOPIC, [
      // acc1 test: two uses by two customers, one valid validation without redemption
      redeemed(acc1, V, 'o1'),
      redeemed(acc1, V, 'o2', { customer_id: 'cus_2', order_amount: 20_000, discount_amount: 3_000 }, '2024-03-06T10:00:00Z'),
      makeEvent('voucher.validated', { account_id: acc1, voucher_id: V, voucher_code: 'CODE1', order_id: 'o3', customer_id: 'cus_3' }, { time: '2024-03-06T11:00:00Z' }),
      // acc1 live: one use
      redeemed(acc1, V, 'o4', { livemode: true, order_amount: 50_000 }),
      // acc2 test: same voucher id, different figures; and a voucher acc1 does not have
      redeemed(acc2, V, 'o5', { voucher_code: 'OTHER', order_amount: 99_000, discount_amount: 9_000 }),
      redeemed(acc2, onlyInAcc2, 'o6', { voucher_code: 'SECRET' }),
    ]);
    await eventually(() => get(query, perf(V), key2), (r) => r.body?.performance?.total_uses === 1, 30_000);
    await eventually(() => get(query, perf(V), key1), (r) => r.body?.performance?.total_uses === 2, 30_000);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), query?.stop()]);
  });

  it('answers performance, trends and customers exactly', async () => {
    const p = await get(query, perf(V), key1);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      voucher_id: V,
      code: 'CODE1',
      // 2 uses over orders {o1, o2, o3}; (10000 + 20000) / 2; (30000 − 4000)
      performance: { total_uses: 2, total_discount: 4_000, conversion_rate: 0.6667, avg_order_value: 15_000, revenue_impact: 26_000, unique_customers: 2, repeat_usage: 0 },
      currency: 'USD',
    });
    const t = await get(query, `/v1/analytics/vouchers/${V}/trends${q({ start_date: '2024-03-05', end_date: '2024-03-06' })}`, key1);
    expect(t.body.trends).toEqual([
      { date: '2024-03-05', uses: 1, discount: 1_000, orders: 1, conversion_rate: 1, avg_order_value: 10_000 },
      { date: '2024-03-06', uses: 1, discount: 3_000, orders: 2, conversion_rate: 0.5, avg_order_value: 20_000 },
    ]);
    expect(t.body.summary).toEqual({ total_period_uses: 2, total_period_discount: 4_000, avg_daily_uses: 1, growth_rate: null });
    const c = await get(query, `/v1/analytics/vouchers/${V}/customers${period}`, key1);
    expect(c.body.customer_insights).toMatchObject({ total_customers: 2, new_customers: 2, returning_customers: 0, avg_customer_value: 15_000, customer_lifetime_value: 15_000 });
  });

  it('isolates tenants and modes, and never reveals another tenant has a voucher', async () => {
    expect((await get(query, perf(V), key2)).body).toMatchObject({ code: 'OTHER', performance: { total_uses: 1, total_discount: 9_000, avg_order_value: 99_000 } });
    expect((await get(query, perf(V), live1)).body).toMatchObject({ performance: { total_uses: 1, avg_order_value: 50_000 } });
    const theirs = await get(query, perf(onlyInAcc2), key1);
    const nowhere = await get(query, perf(uid('v')), key1);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('VOUCHER_NOT_FOUND');
    expect(JSON.stringify(theirs.body).replace(onlyInAcc2, 'X')).toBe(JSON.stringify(nowhere.body).replace(/v_[0-9a-f]+/, 'X'));
    expect(JSON.stringify(theirs.body)).not.toContain('SECRET');
    const list = await get(query, `/v1/analytics/vouchers${period}`, key1);
    expect(list.body.data.map((r: { voucher_id: string }) => r.voucher_id)).toEqual([V]);
  });

  // The 2 s freshness target is measured by `npm run bench:freshness` (BENCHMARKS.md); a test on a
  // shared, variably loaded machine asserts the behaviour: the new event shows although cached.
  it('a new event is reflected in all three endpoints, even right after a cached answer', async () => {
    const W = uid('v');
    const paths = [perf(W), `/v1/analytics/vouchers/${W}/trends${period}`, `/v1/analytics/vouchers/${W}/customers${period}`];
    const uses = (body: any) => body?.performance?.total_uses ?? body?.summary?.total_period_uses ?? body?.customer_insights?.total_customers;
    const fetchRaw = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${query.port}${path}`, { headers: { authorization: `Bearer ${key1}` } });
      return { type: res.headers.get('content-type'), text: await res.text() };
    };
    // Ingest stores the rows before it bumps the versions, and an answer cached in between would be
    // stored under the old ones. So nothing is asked until both versions have moved: then the first
    // answer per path is computed and stored under them, and the next ones are hits of it.
    const redis = new Redis(TEST_ENV.REDIS_URL);
    try {
      const versions = testVersions(redis);
      const keys = [versions.voucherKey(acc1, false, W), versions.accountKey(acc1, false)];
      const accountBefore = Number((await redis.get(keys[1])) ?? 0);
      await produceEvents(env.KAFKA_TOPIC, [redeemed(acc1, W, uid('o'))]);
      await eventually(() => redis.mget(...keys), ([voucher, account]) => voucher !== null && Number(account) > accountBefore, 30_000);
    } finally {
      redis.disconnect();
    }
    const computed: Array<{ type: string | null; text: string }> = [];
    for (const path of paths) computed.push(await fetchRaw(path));
    for (const answer of computed) expect(uses(JSON.parse(answer.text))).toBe(1);
    const hitsBefore = await metricValue(query.port, 'query_cache_lookups_total', { result: 'hit' });
    // A hit is sent as the stored JSON text: the same bytes and content type as the computed answer.
    for (const [i, path] of paths.entries()) {
      const hit = await fetchRaw(path);
      expect(hit.type).toBe(computed[i].type);
      expect(hit.type).toMatch(/^application\/json/);
      expect(hit.text).toBe(computed[i].text);
    }
    expect(await metricValue(query.port, 'query_cache_lookups_total', { result: 'hit' })).toBe(hitsBefore + 3);

    await produceEvents(env.KAFKA_TOPIC, [redeemed(acc1, W, uid('o'), { customer_id: 'cus_new' })]);
    // Each cached answer gives way to one with the new event (eventually throws if one never does).
    await Promise.all(paths.map((path) => eventually(() => get(query, path, key1), (r) => uses(r.body) === 2, 20_000)));
  });

  it('an epoch bump (each ingest start) makes every cached answer unreachable: changes a dead process never signalled', async () => {
    const E = uid('v');
    await insertEvents([redeemed(acc1, E, uid('o'))]);
    const uses = async () => (await get(query, perf(E), key1)).body.performance.total_uses;
    expect(await uses()).toBe(1);
    // Stored but never signalled, as by an ingest process that died while Redis was away:
    await insertEvents([redeemed(acc1, E, uid('o'), { customer_id: 'cus_2' })]);
    expect(await uses()).toBe(1); // the cached answer
    const redis = new Redis(TEST_ENV.REDIS_URL);
    try {
      await testVersions(redis).bump([], { epoch: true }); // what the next ingest process does once it reaches Redis
    } finally {
      redis.disconnect();
    }
    expect(await uses()).toBe(2);
  });

  it('a burst of identical cold requests makes one ClickHouse query (single-flight)', async () => {
    const path = `/v1/analytics/vouchers/${V}/performance${q({ start_date: '2024-03-02', end_date: '2024-03-09' })}`;
    const before = await metricValue(query.port, 'query_clickhouse_query_duration_seconds_count', { query: 'main_stats' });
    const answers = await Promise.all(Array.from({ length: 25 }, () => get(query, path, key1)));
    expect(answers.every((a) => a.status === 200 && a.body.performance.total_uses === 2)).toBe(true);
    expect(await metricValue(query.port, 'query_clickhouse_query_duration_seconds_count', { query: 'main_stats' })).toBe(before + 1);
  });

  it('serves the OpenAPI document, the docs UI, metrics and health', async () => {
    const doc = await get(query, '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/analytics/vouchers',
        '/v1/analytics/vouchers/{voucher_id}/performance',
        '/v1/analytics/vouchers/{voucher_id}/trends',
        '/v1/analytics/vouchers/{voucher_id}/customers',
      ]),
    );
    expect(doc.body.components.schemas.ErrorEnvelopeDto).toBeDefined();
    expect(doc.body.components.schemas.PerformanceResponseDto.properties.performance).toBeDefined();
    const { paths, components } = doc.body;
    const performance = paths['/v1/analytics/vouchers/{voucher_id}/performance'].get;
    // Rate-limited routes: every answer carries the limit headers; a 429 adds Retry-After.
    expect(Object.keys(performance.responses['200'].headers)).toEqual(expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']));
    expect(Object.keys(performance.responses['429'].headers)).toContain('Retry-After');
    expect(performance.responses['401'].headers).toBeUndefined(); // the key is checked before the limit
    expect(performance.parameters.find((p: { name: string }) => p.name === 'include_details').schema.type).toBe('boolean');
    // Counts and minor-unit amounts are integers, rates are not; the list's currency has its own default.
    expect(components.schemas.PerformanceFiguresDto.properties.total_discount.type).toBe('integer');
    expect(components.schemas.PerformanceFiguresDto.properties.conversion_rate.type).toBe('number');
    const list = paths['/v1/analytics/vouchers'].get.parameters;
    expect(list.find((p: { name: string }) => p.name === 'limit').schema.type).toBe('integer');
    expect(list.find((p: { name: string }) => p.name === 'currency').description).toMatch(/Default: every currency/);
    // The file route: binary per format, errors still JSON, the header documented; a schedule's DELETE answers 204.
    const download = paths['/v1/analytics/export/{export_id}/download'].get;
    expect(download.responses['200'].content['text/csv'].schema.format).toBe('binary');
    expect(download.responses['200'].headers['Content-Disposition']).toBeDefined();
    expect(Object.keys(download.responses['404'].content)).toEqual(['application/json']);
    expect(paths['/v1/analytics/export/schedules/{schedule_id}'].delete.responses['204']).toBeDefined();
    expect(components.schemas.ScheduleDto.required).toContain('next_run_at');
    // Routes without a limit document no 429; the export request's period is the optional one.
    expect(paths['/v1/analytics/export/{export_id}'].get.responses['429']).toBeUndefined();
    expect(paths['/v1/analytics/export/{export_id}'].get.responses['404'].description).toMatch(/^EXPORT_NOT_FOUND/);
    expect(components.schemas.ExportTimePeriodDto.required).toBeUndefined();
    expect(components.schemas.TimePeriodDto.required).toEqual(['start', 'end']);
    expect(components.schemas.ErrorEnvelopeDto).toBeDefined();
    const ui = await fetch(`http://127.0.0.1:${query.port}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const metrics = await (await fetch(`http://127.0.0.1:${query.port}/metrics`)).text();
    expect(metrics).toContain('query_http_requests_total{method="GET",route="/v1/analytics/vouchers/:voucher_id/performance",status="200"}');
    expect(metrics).toContain('query_http_request_duration_seconds_bucket');
    expect(metrics).toContain('query_clickhouse_query_duration_seconds_bucket');
    expect((await get(query, '/health/ready')).body).toEqual({ status: 'ok', checks: { clickhouse: 'up', redis: 'up' } });
  });
});
