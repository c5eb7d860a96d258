import { uid } from '../fixtures/events';
import type { AppProcess } from '../support/app-process';
import { ev, get, insertEvents, q, startQuery, testKey } from './query-support';

/**
 * Every metric definition of docs/metrics.md on small hand-built event sets, written straight into
 * ClickHouse and read through the running service (its real SQL). Expected numbers are derived by
 * hand in the comments.
 */
describe('query metrics on hand-built events (real ClickHouse)', () => {
  const account = uid('acc');
  const key = testKey('test');
  const liveKey = testKey('live');
  const V = uid('v');
  let app: AppProcess;

  const base = (extra: Record<string, unknown>) => ({ account_id: account, livemode: false, voucher_id: V, voucher_code: 'SUMMER', currency: 'USD', ...extra });

  beforeAll(async () => {
    await insertEvents([
      // ord1: validated then redeemed by cus1
      ev('voucher.validated', '2024-03-05T10:00:00Z', base({ order_id: 'ord1', customer_id: 'cus1', order_amount: 10_000 })),
      ev('voucher.redeemed', '2024-03-05T10:01:00Z', base({ order_id: 'ord1', customer_id: 'cus1', order_amount: 10_000, discount_amount: 1_000, customer_segment: 'premium', customer_region: 'Europe' })),
      // ord2: validated then redeemed by cus2
      ev('voucher.validated', '2024-03-06T10:00:00Z', base({ order_id: 'ord2', customer_id: 'cus2', order_amount: 20_000 })),
      ev('voucher.redeemed', '2024-03-06T10:01:00Z', base({ order_id: 'ord2', customer_id: 'cus2', order_amount: 20_000, discount_amount: 2_000, customer_segment: 'standard', customer_region: 'Asia' })),
      // ord3: valid validation, abandoned (counts as an order, not a use)
      ev('voucher.validated', '2024-03-07T10:00:00Z', base({ order_id: 'ord3', customer_id: 'cus1', order_amount: 5_000 })),
      // ord4: invalid validation (not an order)
      ev('voucher.validated', '2024-03-07T11:00:00Z', base({ order_id: 'ord4', customer_id: 'cus3', order_amount: 1_000, result: 'invalid', reason: 'expired' })),
      // ord5: redeemed then rolled back
      ev('voucher.redeemed', '2024-03-08T10:00:00Z', base({ order_id: 'ord5', customer_id: 'cus1', order_amount: 30_000, discount_amount: 3_000, customer_segment: 'premium', customer_region: 'Europe' })),
      ev('voucher.redemption_rolled_back', '2024-03-08T12:00:00Z', base({ order_id: 'ord5', customer_id: 'cus1', order_amount: 30_000, discount_amount: 3_000, customer_segment: 'premium', customer_region: 'Europe' })),
      // another currency and live mode: never mixed in
      ev('voucher.redeemed', '2024-03-08T13:00:00Z', base({ order_id: 'ord6', customer_id: 'cus3', order_amount: 50_000, discount_amount: 5_000, currency: 'EUR' })),
      ev('voucher.redeemed', '2024-03-08T13:00:00Z', base({ order_id: 'ord7', customer_id: 'cus9', order_amount: 70_000, discount_amount: 7_000, livemode: true })),
      // outside the period
      ev('voucher.redeemed', '2024-03-11T00:00:00Z', base({ order_id: 'ord8', customer_id: 'cus8', order_amount: 90_000, discount_amount: 9_000 })),
    ]);
    app = await startQuery([
      [key, account],
      [liveKey, account],
    ]);
  });

  afterAll(async () => {
    await app?.stop();
  });

  const period = { start_date: '2024-03-01', end_date: '2024-03-10' };

  it("code: the latest event's code, never the blank of a later order.completed that names the voucher", async () => {
    const W = uid('v');
    await insertEvents([
      ev('voucher.redeemed', '2024-03-05T10:00:00Z', base({ voucher_id: W, voucher_code: 'WINTER', order_id: 'w1', customer_id: 'cus1', order_amount: 1_000, discount_amount: 100 })),
      ev('order.completed', '2024-03-05T11:00:00Z', { account_id: account, livemode: false, voucher_id: W, order_id: 'w1', customer_id: 'cus1', order_amount: 1_000, currency: 'USD' }),
    ]);
    const res = await get(app, `/v1/analytics/vouchers/${W}/performance${q(period)}`, key);
    expect(res.status).toBe(200);
    expect(res.body.code).toBe('WINTER');
  });

  it('performance: rollbacks, validations, distinct orders and customers, one currency', async () => {
    const res = await get(app, `/v1/analytics/vouchers/${V}/performance${q({ ...period, include_details: 'true' })}`, key);
    expect(res.status).toBe(200);
    // uses 3 − 1 = 2; discount 6000 − 3000; orders {ord1, ord2, ord3, ord5} = 4; aov (60000 − 30000)/2;
    // revenue (60000 − 6000) − (30000 − 3000); customers {cus1, cus2}
    expect(res.body).toEqual({
      voucher_id: V,
      code: 'SUMMER',
      performance: { total_uses: 2, total_discount: 3_000, conversion_rate: 0.5, avg_order_value: 15_000, revenue_impact: 27_000, unique_customers: 2, repeat_usage: 0 },
      time_period: { start: '2024-03-01T00:00:00Z', end: '2024-03-10T23:59:59Z' },
      currency: 'USD',
      generated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      details: {
        validations: { valid: 3, invalid: 1, failure_reasons: [{ reason: 'expired', count: 1 }] },
        rollbacks: 1,
        first_used_at: '2024-03-05T10:01:00Z',
        last_used_at: '2024-03-08T10:00:00Z',
        by_segment: [
          // premium events: ord1 (+), ord5 (+, −); the validations of ord1, ord2, ord3 carry the fixture's
          // default segment premium / region Europe, so premium orders are {ord1, ord2, ord3, ord5}
          { segment: 'premium', total_uses: 1, total_discount: 1_000, conversion_rate: 0.25, avg_order_value: 10_000, revenue_impact: 9_000, unique_customers: 1, repeat_usage: 0, orders: 4 },
          { segment: 'standard', total_uses: 1, total_discount: 2_000, conversion_rate: 1, avg_order_value: 20_000, revenue_impact: 18_000, unique_customers: 1, repeat_usage: 0, orders: 1 },
        ],
        by_region: [
          { region: 'Asia', total_uses: 1, total_discount: 2_000, conversion_rate: 1, avg_order_value: 20_000, revenue_impact: 18_000, unique_customers: 1, repeat_usage: 0, orders: 1 },
          { region: 'Europe', total_uses: 1, total_discount: 1_000, conversion_rate: 0.25, avg_order_value: 10_000, revenue_impact: 9_000, unique_customers: 1, repeat_usage: 0, orders: 4 },
        ],
      },
    });
  });

  it('currency selects one currency; an unused one answers zeros', async () => {
    const eur = await get(app, `/v1/analytics/vouchers/${V}/performance${q({ ...period, currency: 'EUR' })}`, key);
    expect(eur.body.currency).toBe('EUR');
    expect(eur.body.performance).toEqual({ total_uses: 1, total_discount: 5_000, conversion_rate: 1, avg_order_value: 50_000, revenue_impact: 45_000, unique_customers: 1, repeat_usage: 0 });
    const gbp = await get(app, `/v1/analytics/vouchers/${V}/performance${q({ ...period, currency: 'GBP', include_details: 'true' })}`, key);
    expect(gbp.status).toBe(200);
    expect(gbp.body.performance).toEqual({ total_uses: 0, total_discount: 0, conversion_rate: 0, avg_order_value: 0, revenue_impact: 0, unique_customers: 0, repeat_usage: 0 });
    expect(gbp.body.details).toMatchObject({ rollbacks: 0, first_used_at: null, last_used_at: null, by_segment: [], by_region: [] });
  });

  it('live keys see only live events', async () => {
    const live = await get(app, `/v1/analytics/vouchers/${V}/performance${q(period)}`, liveKey);
    expect(live.body.performance).toMatchObject({ total_uses: 1, total_discount: 7_000, avg_order_value: 70_000 });
  });

  it('date-time bounds are exact to the millisecond (rollup middle + raw edges)', async () => {
    const W = uid('v');
    const at = (time: string, order: string, customer: string) =>
      ev('voucher.redeemed', time, { ...base({ voucher_id: W, order_id: order, customer_id: customer }), order_amount: 1_000, discount_amount: 100 });
    await insertEvents([
      at('2024-04-01T10:00:00.100Z', 'o1', 'c1'), // before start (start is .500)
      at('2024-04-01T10:00:00.900Z', 'o2', 'c1'), // in: raw edge
      at('2024-04-01T12:00:00.000Z', 'o3', 'c1'), // in: rollup middle, same customer
      at('2024-04-01T12:00:00.000Z', 'o4', 'c2'), // in
      at('2024-04-01T14:07:00.250Z', 'o5', 'c3'), // the inclusive end itself
      at('2024-04-01T14:07:00.251Z', 'o6', 'c4'), // just after the end
    ]);
    const res = await get(app, `/v1/analytics/vouchers/${W}/performance${q({ start_date: '2024-04-01T10:00:00.500Z', end_date: '2024-04-01T14:07:00.250Z' })}`, key);
    expect(res.body.performance).toMatchObject({ total_uses: 4, total_discount: 400, unique_customers: 3, repeat_usage: 1 });
    expect(res.body.time_period).toEqual({ start: '2024-04-01T10:00:00Z', end: '2024-04-01T14:07:00Z' });
  });

  it('trends: local-day buckets across a DST change, zero-filled, with weekly/monthly grouping and growth', async () => {
    const T = uid('v');
    const r = (time: string, order: string, customer = 'c1', amount = 1_000) =>
      ev('voucher.redeemed', time, { ...base({ voucher_id: T, order_id: order, customer_id: customer }), order_amount: amount, discount_amount: 100 });
    await insertEvents([
      r('2024-03-06T15:00:00Z', 'p1'), // preceding period
      r('2024-03-10T04:59:59Z', 'a1'), // 2024-03-09 23:59:59 EST
      r('2024-03-10T05:00:00Z', 'a2', 'c2'), // 2024-03-10 00:00 EST (DST starts at 07:00Z)
      r('2024-03-11T03:59:59Z', 'a3', 'c2', 3_000), // 2024-03-10 23:59:59 EDT
      r('2024-03-11T04:00:00Z', 'a4', 'c3'), // 2024-03-11 00:00 EDT
      ev('voucher.redemption_rolled_back', '2024-03-11T05:00:00Z', { ...base({ voucher_id: T, order_id: 'a4', customer_id: 'c3' }), order_amount: 1_000, discount_amount: 100 }),
    ]);
    const path = `/v1/analytics/vouchers/${T}/trends`;
    const day = await get(app, `${path}${q({ start_date: '2024-03-09', end_date: '2024-03-12', timezone: 'America/New_York', metrics: ['uses', 'discount', 'orders', 'conversion_rate', 'avg_order_value', 'revenue_impact', 'unique_customers'] })}`, key);
    expect(day.status).toBe(200);
    expect(day.body.trends).toEqual([
      { date: '2024-03-09', uses: 1, discount: 100, orders: 1, conversion_rate: 1, avg_order_value: 1_000, revenue_impact: 900, unique_customers: 1 },
      { date: '2024-03-10', uses: 2, discount: 200, orders: 2, conversion_rate: 1, avg_order_value: 2_000, revenue_impact: 3_800, unique_customers: 1 },
      { date: '2024-03-11', uses: 0, discount: 0, orders: 1, conversion_rate: 0, avg_order_value: 0, revenue_impact: 0, unique_customers: 1 },
      { date: '2024-03-12', uses: 0, discount: 0, orders: 0, conversion_rate: 0, avg_order_value: 0, revenue_impact: 0, unique_customers: 0 },
    ]);
    // 3 uses over 4 local days; the preceding period (same length) holds 1 use: (3 − 1) / 1
    expect(day.body.summary).toEqual({ total_period_uses: 3, total_period_discount: 300, avg_daily_uses: 0.75, growth_rate: 2 });
    expect(day.body.time_period).toEqual({ start: '2024-03-09T05:00:00Z', end: '2024-03-13T03:59:59Z' });

    const week = await get(app, `${path}${q({ start_date: '2024-03-09', end_date: '2024-03-12', timezone: 'America/New_York', interval: 'week', metrics: 'uses' })}`, key);
    expect(week.body.trends).toEqual([
      { date: '2024-03-04', uses: 3 },
      { date: '2024-03-11', uses: 0 },
    ]);
    const utcDay = await get(app, `${path}${q({ start_date: '2024-03-09', end_date: '2024-03-12', metrics: 'uses,discount' })}`, key);
    expect(utcDay.body.trends).toEqual([
      { date: '2024-03-09', uses: 0, discount: 0 },
      { date: '2024-03-10', uses: 2, discount: 200 },
      { date: '2024-03-11', uses: 1, discount: 100 },
      { date: '2024-03-12', uses: 0, discount: 0 },
    ]);
    // March holds p1 too: 5 redeemed − 1 rolled back = 4 uses; (1000·4 + 3000 − 1000) / 4 = 1500
    const month = await get(app, `${path}${q({ start_date: '2024-02-20', end_date: '2024-03-12', interval: 'month' })}`, key);
    expect(month.body.trends).toEqual([
      { date: '2024-02-01', uses: 0, discount: 0, orders: 0, conversion_rate: 0, avg_order_value: 0 },
      { date: '2024-03-01', uses: 4, discount: 400, orders: 5, conversion_rate: 0.8, avg_order_value: 1_500 },
    ]);
  });

  it('trends: the comparison period is exact to the millisecond, its edges read raw beside the buckets', async () => {
    const G = uid('v');
    const r = (time: string, order: string) => ev('voucher.redeemed', time, { ...base({ voucher_id: G, order_id: order }), discount_amount: 100 });
    // Period [2024-04-02T00:00:00.500Z, 2024-04-03T00:00:00.499Z] (one day); preceding period: the day before it.
    await insertEvents([
      r('2024-04-01T00:00:00.499Z', 'g0'), // just before the preceding period
      r('2024-04-01T00:00:00.500Z', 'g1'), // the preceding period's first millisecond
      r('2024-04-01T12:00:00.000Z', 'g2'), // preceding period, a whole 15-minute bucket
      r('2024-04-02T00:00:00.499Z', 'g3'), // the preceding period's last millisecond
      r('2024-04-02T00:00:00.500Z', 'g4'), // the period's first millisecond
      r('2024-04-02T06:00:00.000Z', 'g5'),
      r('2024-04-03T00:00:00.499Z', 'g6'), // the period's last millisecond
      r('2024-04-03T00:00:00.500Z', 'g7'), // after the period
    ]);
    const res = await get(app, `/v1/analytics/vouchers/${G}/trends${q({ start_date: '2024-04-02T00:00:00.500Z', end_date: '2024-04-03T00:00:00.499Z', metrics: 'uses' })}`, key);
    expect(res.status).toBe(200);
    expect(res.body.trends).toEqual([
      { date: '2024-04-02', uses: 2 },
      { date: '2024-04-03', uses: 1 },
    ]);
    // 3 uses against the preceding period's 3 (g1, g2, g3): growth 0, not the 4 or 2 of a period read to the second.
    expect(res.body.summary).toMatchObject({ total_period_uses: 3, growth_rate: 0 });
  });

  it('trends: half-hour zones put bucket edges at :30', async () => {
    const K = uid('v');
    const r = (time: string, order: string) => ev('voucher.redeemed', time, { ...base({ voucher_id: K, order_id: order }), discount_amount: 100 });
    await insertEvents([r('2024-03-01T18:29:59Z', 'k1'), r('2024-03-01T18:30:00Z', 'k2'), r('2024-03-01T18:30:01Z', 'k3')]);
    const res = await get(app, `/v1/analytics/vouchers/${K}/trends${q({ start_date: '2024-03-01', end_date: '2024-03-02', timezone: 'Asia/Kolkata', metrics: 'uses' })}`, key);
    expect(res.body.trends).toEqual([
      { date: '2024-03-01', uses: 1 },
      { date: '2024-03-02', uses: 2 },
    ]);
    expect(res.body.summary.growth_rate).toBeNull();
  });

  it('empty period: zeros everywhere, every bucket present', async () => {
    const path = `/v1/analytics/vouchers/${V}`;
    const empty = { start_date: '2024-01-01', end_date: '2024-01-03' };
    expect((await get(app, `${path}/performance${q(empty)}`, key)).body.performance.total_uses).toBe(0);
    const trends = await get(app, `${path}/trends${q({ ...empty, metrics: 'uses' })}`, key);
    expect(trends.body.trends).toEqual([
      { date: '2024-01-01', uses: 0 },
      { date: '2024-01-02', uses: 0 },
      { date: '2024-01-03', uses: 0 },
    ]);
    expect(trends.body.summary).toEqual({ total_period_uses: 0, total_period_discount: 0, avg_daily_uses: 0, growth_rate: null });
    const customers = await get(app, `${path}/customers${q(empty)}`, key);
    expect(customers.body.customer_insights).toEqual({
      total_customers: 0,
      new_customers: 0,
      returning_customers: 0,
      avg_customer_value: 0,
      customer_lifetime_value: 0,
      top_customer_segments: [],
      geographic_distribution: [],
    });
  });

  it('customers: new vs returning (first order ever, ties by order id), lifetime value, segments and regions', async () => {
    const C = uid('v');
    const other = uid('v');
    const cb = (extra: Record<string, unknown>) => base({ voucher_id: C, ...extra });
    await insertEvents([
      // cusA: completed an order before → returning
      ev('order.completed', '2024-05-01T10:00:00Z', { account_id: account, livemode: false, customer_id: 'cusA', order_id: 'ordA0', order_amount: 5_000, currency: 'USD' }),
      ev('voucher.redeemed', '2024-05-05T10:00:00Z', cb({ customer_id: 'cusA', order_id: 'ordA1', order_amount: 10_000, discount_amount: 1_000, customer_segment: 'premium', customer_region: 'Europe' })),
      // cusB: first order ever is this redemption (also seen as order.completed) → new; latest segment vip
      ev('voucher.redeemed', '2024-05-05T11:00:00Z', cb({ customer_id: 'cusB', order_id: 'ordB1', order_amount: 20_000, discount_amount: 2_000, customer_segment: 'standard', customer_region: 'Europe' })),
      // …the later sighting disagrees on the amount: the earliest one (20000) counts
      ev('order.completed', '2024-05-05T11:01:00Z', { account_id: account, livemode: false, customer_id: 'cusB', order_id: 'ordB1', order_amount: 20_500, currency: 'USD' }),
      ev('voucher.redeemed', '2024-05-07T11:00:00Z', cb({ customer_id: 'cusB', order_id: 'ordB3', order_amount: 40_000, discount_amount: 4_000, customer_segment: 'vip', customer_region: 'Asia Pacific' })),
      ev('order.completed', '2024-05-20T11:00:00Z', { account_id: account, livemode: false, customer_id: 'cusB', order_id: 'ordB2', order_amount: 7_000, currency: 'USD' }),
      // cusC: ordered with another voucher first → returning; this redemption is rolled back
      ev('voucher.redeemed', '2024-05-02T10:00:00Z', base({ voucher_id: other, customer_id: 'cusC', order_id: 'ordC0', order_amount: 8_000, discount_amount: 800 })),
      ev('voucher.redeemed', '2024-05-06T10:00:00Z', cb({ customer_id: 'cusC', order_id: 'ordC1', order_amount: 30_000, discount_amount: 3_000, customer_segment: 'premium', customer_region: 'North America' })),
      ev('voucher.redemption_rolled_back', '2024-05-06T11:00:00Z', cb({ customer_id: 'cusC', order_id: 'ordC1', order_amount: 30_000, discount_amount: 3_000, customer_segment: 'premium', customer_region: 'North America' })),
      // cusD: another order at the very same instant with a smaller order id → returning
      ev('order.completed', '2024-05-05T12:00:00.000Z', { account_id: account, livemode: false, customer_id: 'cusD', order_id: 'ordD0', order_amount: 1_000, currency: 'USD' }),
      ev('voucher.redeemed', '2024-05-05T12:00:00.000Z', cb({ customer_id: 'cusD', order_id: 'ordD1', order_amount: 6_000, discount_amount: 600, customer_segment: 'premium', customer_region: 'Europe' })),
      // cusE: other currency, not in the USD answer
      ev('voucher.redeemed', '2024-05-05T13:00:00Z', cb({ customer_id: 'cusE', order_id: 'ordE1', order_amount: 6_000, discount_amount: 600, currency: 'EUR' })),
    ]);
    const res = await get(app, `/v1/analytics/vouchers/${C}/customers${q({ start_date: '2024-05-03', end_date: '2024-05-10' })}`, key);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      voucher_id: C,
      code: 'SUMMER',
      customer_insights: {
        total_customers: 4,
        new_customers: 1,
        returning_customers: 3,
        // net order amount (10000 + 20000 + 40000 + 30000 + 6000 − 30000) / 4
        avg_customer_value: 19_000,
        // (5000 + 10000) + (20000 + 40000) + (8000 + 30000) + (1000 + 6000) = 120000 / 4; ordB2 is after the end
        customer_lifetime_value: 30_000,
        top_customer_segments: [
          // premium events: ordA1, ordC1 (+ rollback), ordD1 → 2 uses, (46000 − 30000) / 2, 3 orders
          { segment: 'premium', count: 3, avg_order_value: 8_000, conversion_rate: 0.6667 },
          { segment: 'vip', count: 1, avg_order_value: 40_000, conversion_rate: 1 },
        ],
        geographic_distribution: [
          { region: 'Europe', count: 2, percentage: 50 },
          { region: 'Asia Pacific', count: 1, percentage: 25 },
          { region: 'North America', count: 1, percentage: 25 },
        ],
      },
      time_period: { start: '2024-05-03T00:00:00Z', end: '2024-05-10T23:59:59Z' },
      currency: 'USD',
      generated_at: expect.any(String),
    });
  });

  it('customers: an order seen twice at the same instant counts once, with the smaller amount', async () => {
    const T = uid('v');
    const at = '2024-05-05T10:00:00.250Z';
    await insertEvents([
      // Inserted larger-first, so "whichever sighting is read first" would pick 9000.
      ev('order.completed', at, { account_id: account, livemode: false, customer_id: 'cusT', order_id: 'ordT1', order_amount: 9_000, currency: 'USD' }),
      ev('voucher.redeemed', at, base({ voucher_id: T, customer_id: 'cusT', order_id: 'ordT1', order_amount: 8_000, discount_amount: 800, customer_segment: 'vip' })),
    ]);
    const expected = {
      total_customers: 1,
      new_customers: 1,
      avg_customer_value: 8_000,
      customer_lifetime_value: 8_000,
      top_customer_segments: [{ segment: 'vip', count: 1, avg_order_value: 8_000, conversion_rate: 1 }],
    };
    const res = await get(app, `/v1/analytics/vouchers/${T}/customers${q({ start_date: '2024-05-05', end_date: '2024-05-05' })}`, key);
    expect(res.status).toBe(200);
    expect(res.body.customer_insights).toMatchObject(expected);
    // The same from the raw events alone (a period inside one 15-minute bucket), segment breakdown included.
    const edges = await get(app, `/v1/analytics/vouchers/${T}/customers${q({ start_date: '2024-05-05T10:00:00Z', end_date: '2024-05-05T10:00:01Z' })}`, key);
    expect(edges.body.customer_insights).toMatchObject(expected);
  });

  it('voucher list: per voucher and currency, sorted, paginated by cursor', async () => {
    const acc = uid('acc');
    const k = testKey('test');
    const list = await startQuery([[k, acc]]);
    try {
      const r = (voucher: string, order: string, currency = 'USD', discount = 100) =>
        ev('voucher.redeemed', '2024-06-02T10:00:00Z', { account_id: acc, livemode: false, voucher_id: voucher, voucher_code: voucher.toUpperCase(), customer_id: 'c', order_id: order, order_amount: 1_000, discount_amount: discount, currency });
      await insertEvents([r('va', 'o1'), r('va', 'o2'), r('va', 'o3'), r('vb', 'o4', 'USD', 900), r('vc', 'o5'), r('vc', 'o6'), r('vb', 'o7', 'EUR')]);
      const params = { start_date: '2024-06-01', end_date: '2024-06-30', limit: '2' };
      const first = await get(list, `/v1/analytics/vouchers${q(params)}`, k);
      expect(first.status).toBe(200);
      expect(first.body.data).toEqual([
        { voucher_id: 'va', code: 'VA', currency: 'USD', total_uses: 3, total_discount: 300, revenue_impact: 2_700 },
        { voucher_id: 'vc', code: 'VC', currency: 'USD', total_uses: 2, total_discount: 200, revenue_impact: 1_800 },
      ]);
      const second = await get(list, `/v1/analytics/vouchers${q({ ...params, cursor: first.body.next_cursor })}`, k);
      expect(second.body.data.map((d: any) => [d.voucher_id, d.currency])).toEqual([
        ['vb', 'EUR'],
        ['vb', 'USD'],
      ]);
      expect(second.body.next_cursor).toBeNull();
      const byDiscount = await get(list, `/v1/analytics/vouchers${q({ ...params, sort: 'discount', limit: '1', currency: 'USD' })}`, k);
      expect(byDiscount.body.data).toEqual([{ voucher_id: 'vb', code: 'VB', currency: 'USD', total_uses: 1, total_discount: 900, revenue_impact: 100 }]);
      const wrongCursor = await get(list, `/v1/analytics/vouchers${q({ ...params, sort: 'discount', cursor: first.body.next_cursor })}`, k);
      expect(wrongCursor.status).toBe(400);
      expect(wrongCursor.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { parameter: 'cursor' } });
      // A cursor is base64 JSON the client can rewrite: a forged period is refused like a bad parameter.
      const genuine = JSON.parse(Buffer.from(first.body.next_cursor, 'base64url').toString());
      for (const period of [
        { s: -8_700_000_000_000_000, e: -8_699_999_999_999_000 }, // before 1970: used to be a 500
        { s: genuine.s, e: genuine.s + 95 * 86_400_000 }, // longer than 90 days
        { s: Date.UTC(2200, 0, 1), e: Date.UTC(2200, 0, 2) }, // beyond the supported years
      ]) {
        const forged = Buffer.from(JSON.stringify({ ...genuine, ...period })).toString('base64url');
        const res = await get(list, `/v1/analytics/vouchers${q({ ...params, cursor: forged })}`, k);
        expect([res.status, res.body.error]).toEqual([400, expect.objectContaining({ code: 'VALIDATION_ERROR', details: { parameter: 'cursor' } })]);
      }

      // An open-ended period just short of 90 days: its later pages keep the first page's period,
      // even once "now" has moved past the limit.
      const recent = new Date(Date.now() - 86_400_000).toISOString();
      await insertEvents(['vx', 'vy', 'vz'].map((v, i) => ev('voucher.redeemed', recent, { account_id: acc, livemode: false, voucher_id: v, voucher_code: v, customer_id: 'c', order_id: `or${i}`, order_amount: 1_000, discount_amount: 100, currency: 'USD' })));
      // 5 s short of 90 days when built: room for a slow first request, then a wait past the limit.
      const open = { start_date: new Date(Date.now() - 90 * 86_400_000 + 5_000).toISOString(), limit: '2' };
      const page1 = await get(list, `/v1/analytics/vouchers${q(open)}`, k);
      expect(page1.body.data.map((d: any) => d.voucher_id)).toEqual(['vx', 'vy']);
      await new Promise((r) => setTimeout(r, 6_500));
      expect((await get(list, `/v1/analytics/vouchers${q(open)}`, k)).body.error).toMatchObject({ code: 'INVALID_TIME_PERIOD' }); // a new first page: too long now
      const page2 = await get(list, `/v1/analytics/vouchers${q({ ...open, cursor: page1.body.next_cursor })}`, k);
      expect([page2.status, page2.body.data?.map((d: any) => d.voucher_id), page2.body.time_period]).toEqual([200, ['vz'], page1.body.time_period]);
    } finally {
      await list.stop();
    }
  });
});
