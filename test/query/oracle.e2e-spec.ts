import type { EventType, VoucherEvent } from '@app/contracts';
import { makeEvent, uid } from '../fixtures/events';
import type { AppProcess } from '../support/app-process';
import { prng } from '../support/prng';
import { addDays, localMidnight, MetricsOracle, type OracleRequest } from './metrics-oracle';
import { get, insertEvents, q, startQuery, testKey } from './query-support';

/**
 * Differential test: random events written into ClickHouse, random periods, zones, intervals and
 * currencies asked of the running service, every answer compared field for field with
 * MetricsOracle (docs/metrics.md computed in memory from the same events). Periods start and end
 * at arbitrary milliseconds and around DST changes, so the service's stitching of daily rollup,
 * 15-minute rollup and raw edges is exercised where the hand-built tests do not reach. The seed is
 * in the test name: a failure replays with ORACLE_SEED=<seed>.
 */
const seed = Number(process.env.ORACLE_SEED ?? Date.now() % 100_000);
const CASES = 24;

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Adelaide', 'Europe/London'];
const TREND_FIELDS = ['uses', 'discount', 'orders', 'conversion_rate', 'avg_order_value', 'revenue_impact', 'unique_customers'];
/** What a trend bucket shows without `metrics`. */
const DEFAULT_TREND_FIELDS = ['uses', 'discount', 'orders', 'conversion_rate', 'avg_order_value'];
// 2026-03-01 … 2026-04-30: DST starts in New York (03-08) and Berlin (03-29), ends in Adelaide (04-05).
const WINDOW = { start: Date.UTC(2026, 2, 1), days: 61 };

function randomEvents(account: string, vouchers: string[], rand: () => number): VoucherEvent[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const customers = Array.from({ length: 14 }, (_, i) => `cus_${i}`);
  const events: VoucherEvent[] = [];
  const redeemedOrders: Array<{ order: string; customer: string; voucher: string; amount: number; discount: number; currency: string; time: number }> = [];
  const validatedOrders: Array<{ order: string; customer: string; voucher: string }> = [];
  let orderNo = 0;
  const times: number[] = [];
  const randomTime = () => {
    // Some events share an instant with an earlier one (ties in "first order" and "latest").
    if (times.length && rand() < 0.06) return pick(times);
    // Some sit on a local midnight of one of the zones, or 1 ms before: the edges of date-only periods.
    const t =
      rand() < 0.1
        ? localMidnight(addDays('2026-03-01', 1 + Math.floor(rand() * (WINDOW.days - 2))), pick(ZONES)) - (rand() < 0.5 ? 1 : 0)
        : WINDOW.start + Math.floor(rand() * WINDOW.days * 86_400_000);
    times.push(t);
    return t;
  };
  const dims = () => ({ customer_segment: pick(['premium', 'standard', 'vip', undefined]), customer_region: pick(['Europe', 'Asia', undefined]) });
  const currencyFor = (voucher: string) => (voucher === vouchers[1] ? (rand() < 0.7 ? 'EUR' : 'USD') : rand() < 0.8 ? 'USD' : 'EUR');

  // History before the window: some customers' first orders ever, with no voucher.
  for (const customer of customers.slice(0, 6)) {
    events.push(
      makeEvent(
        'order.completed',
        { account_id: account, customer_id: customer, order_id: `ord_${orderNo++}`, order_amount: 500 + Math.floor(rand() * 9_000), currency: pick(['USD', 'EUR']), ...dims() },
        { time: new Date(Date.UTC(2025, 11, 1) + Math.floor(rand() * 30 * 86_400_000)).toISOString() },
      ),
    );
  }

  for (let i = 0; i < 420; i++) {
    const roll = rand();
    const type: EventType = roll < 0.32 ? 'voucher.validated' : roll < 0.66 ? 'voucher.redeemed' : roll < 0.74 ? 'voucher.redemption_rolled_back' : 'order.completed';
    const time = randomTime();
    const iso = new Date(time).toISOString();
    if (type === 'voucher.validated') {
      const voucher = pick(vouchers);
      const customer = pick(customers);
      const order = `ord_${orderNo++}`;
      const valid = rand() < 0.8;
      validatedOrders.push({ order, customer, voucher });
      events.push(
        makeEvent(
          type,
          {
            account_id: account, voucher_id: voucher, voucher_code: voucher.toUpperCase(), customer_id: customer, order_id: order,
            order_amount: 500 + Math.floor(rand() * 20_000), currency: currencyFor(voucher), ...dims(),
            ...(valid ? { result: 'valid' } : { result: 'invalid', reason: pick(['expired', 'minimum_order_not_met', 'usage_limit']) }),
          },
          { time: iso },
        ),
      );
    } else if (type === 'voucher.redeemed') {
      // Half redeem an order that was validated before (same customer and voucher), half a new one.
      const prior = rand() < 0.5 && validatedOrders.length ? pick(validatedOrders) : undefined;
      const voucher = prior?.voucher ?? pick(vouchers);
      const customer = prior?.customer ?? pick(customers);
      const amount = 500 + Math.floor(rand() * 20_000);
      const discount = Math.floor(amount / (5 + Math.floor(rand() * 10)));
      const currency = currencyFor(voucher);
      const order = prior?.order ?? `ord_${orderNo++}`;
      redeemedOrders.push({ order, customer, voucher, amount, discount, currency, time });
      events.push(
        makeEvent(
          type,
          { account_id: account, voucher_id: voucher, voucher_code: voucher.toUpperCase(), customer_id: customer, order_id: order, order_amount: amount, discount_amount: discount, currency, ...dims() },
          { time: iso },
        ),
      );
    } else if (type === 'voucher.redemption_rolled_back' && redeemedOrders.length) {
      const r = pick(redeemedOrders);
      events.push(
        makeEvent(
          type,
          { account_id: account, voucher_id: r.voucher, voucher_code: r.voucher.toUpperCase(), customer_id: r.customer, order_id: r.order, order_amount: r.amount, discount_amount: r.discount, currency: r.currency, ...dims() },
          { time: new Date(Math.max(time, r.time)).toISOString() },
        ),
      );
    } else {
      // The order system's view: often an order already redeemed (seen twice, maybe at another
      // instant, amount or currency), otherwise an order without a voucher.
      const r = rand() < 0.6 && redeemedOrders.length ? pick(redeemedOrders) : undefined;
      events.push(
        makeEvent(
          'order.completed',
          {
            account_id: account, customer_id: r?.customer ?? pick(customers), order_id: r?.order ?? `ord_${orderNo++}`,
            // The order system may name the voucher the order used, with or without its code.
            ...(r && rand() < 0.3 ? { voucher_id: r.voucher, voucher_code: rand() < 0.5 ? r.voucher.toUpperCase() : undefined } : {}),
            order_amount: r && rand() < 0.7 ? r.amount : 500 + Math.floor(rand() * 20_000),
            currency: r && rand() < 0.85 ? r.currency : pick(['USD', 'EUR']), ...dims(),
          },
          { time: r && rand() < 0.3 ? new Date(r.time).toISOString() : iso },
        ),
      );
    }
  }
  return events;
}

describe(`service answers equal docs/metrics.md computed in memory (seed ${seed})`, () => {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const account = uid('acc');
  const key = testKey('test');
  const vouchers = [uid('v'), uid('v'), uid('v')];
  const events = randomEvents(account, vouchers, rand);
  // Noise the answers must not see: the same vouchers in live mode and in another account.
  const noise = randomEvents(account, vouchers, prng(seed + 1))
    .slice(0, 60)
    .map((e) => ({ ...e, id: uid('evt'), data: { ...e.data, livemode: true } }));
  const other = randomEvents(uid('acc'), vouchers, prng(seed + 2)).slice(0, 60);
  const oracle = new MetricsOracle([...events, ...noise, ...other]);
  let app: AppProcess;

  beforeAll(async () => {
    // Several inserts, so the rollups hold several unmerged parts as they do under ingest.
    const all = [...events, ...noise, ...other];
    for (let i = 0; i < all.length; i += 100) await insertEvents(all.slice(i, i + 100));
    app = await startQuery([[key, account]]);
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** A random period inside the window: date-only in the zone, or instants at arbitrary milliseconds. */
  function randomPeriod(timezone: string, voucherId: string): { params: Record<string, string>; startMs: number; endMs: number } {
    const firstDay = Math.floor(rand() * (WINDOW.days - 2));
    const length = 1 + Math.floor(rand() * (WINDOW.days - firstDay - 1));
    if (rand() < 0.5) {
      const start = addDays('2026-03-01', firstDay);
      const end = addDays(start, length - 1);
      return { params: { start_date: start, end_date: end }, startMs: localMidnight(start, timezone), endMs: localMidnight(addDays(end, 1), timezone) };
    }
    let startMs = WINDOW.start + firstDay * 86_400_000 + Math.floor(rand() * 86_400_000);
    let endMs = Math.min(WINDOW.start + WINDOW.days * 86_400_000, startMs + 1 + Math.floor(rand() * length * 86_400_000));
    // Half of these start or end exactly on an event (an end on an event's instant includes it,
    // an end 1 ms before excludes it): off-by-one-millisecond edges must show.
    const instants = events
      .filter((e) => (e.data as { voucher_id?: string }).voucher_id === voucherId)
      .map((e) => Date.parse(e.time))
      .sort((a, b) => a - b);
    if (rand() < 0.5 && instants.length >= 2) {
      const i = Math.floor(rand() * (instants.length - 1));
      const j = i + 1 + Math.floor(rand() * Math.min(instants.length - i - 1, 200));
      startMs = instants[i];
      endMs = instants[j] + (rand() < 0.5 ? 1 : 0);
      if (endMs <= startMs) endMs = startMs + 1;
    }
    return { params: { start_date: new Date(startMs).toISOString(), end_date: new Date(endMs - 1).toISOString() }, startMs, endMs };
  }

  const cases = Array.from({ length: CASES }, (_, i) => i);
  const withoutGeneratedAt = ({ generated_at, ...rest }: Record<string, unknown>) => {
    expect(typeof generated_at).toBe('string');
    return rest;
  };

  it.each(cases)('case %i: performance (with or without details), trends (some metrics), customers, voucher list (every page)', async () => {
    const timezone = pick(ZONES);
    const voucherId = pick(vouchers);
    const { params, startMs, endMs } = randomPeriod(timezone, voucherId);
    const currency = pick([undefined, undefined, 'USD', 'EUR', 'GBP']); // GBP: no events, so zeros
    const interval = pick(['day', 'week', 'month'] as const);
    const req: OracleRequest = { accountId: account, livemode: false, voucherId, timezone, startMs, endMs, currency };
    const common = { ...params, timezone, currency };
    const context = JSON.stringify({ seed, voucher: vouchers.indexOf(voucherId), ...common, interval });

    const details = rand() < 0.7;
    const performance = await get(app, `/v1/analytics/vouchers/${voucherId}/performance${q({ ...common, ...(details ? { include_details: 'true' } : {}) })}`, key);
    expect({ context, status: performance.status }).toEqual({ context, status: 200 });
    const { details: expectedDetails, ...expectedPerformance } = oracle.performance(req);
    expect(withoutGeneratedAt(performance.body)).toEqual(details ? { ...expectedPerformance, details: expectedDetails } : expectedPerformance);

    // Every metric, a random subset, or none named (the default five).
    const shown = rand() < 0.5 ? TREND_FIELDS : rand() < 0.5 ? TREND_FIELDS.filter(() => rand() < 0.5) : [];
    const metrics = shown.length ? { metrics: shown.join(',') } : {};
    const trends = await get(app, `/v1/analytics/vouchers/${voucherId}/trends${q({ ...common, interval, ...metrics })}`, key);
    expect({ context, status: trends.status }).toEqual({ context, status: 200 });
    const fields = shown.length ? shown : DEFAULT_TREND_FIELDS;
    const expectedTrends = oracle.trends(req, interval);
    const buckets = expectedTrends.trends.map((b) => Object.fromEntries(Object.entries(b).filter(([k]) => k === 'date' || fields.includes(k))));
    expect(withoutGeneratedAt(trends.body)).toEqual({ ...expectedTrends, trends: buckets });

    const customers = await get(app, `/v1/analytics/vouchers/${voucherId}/customers${q(common)}`, key);
    expect({ context, status: customers.status }).toEqual({ context, status: 200 });
    expect(withoutGeneratedAt(customers.body)).toEqual(oracle.customers(req));

    // The list, walked page by page with a small limit (ties in the sort value are common here).
    const sort = pick(['uses', 'discount', 'revenue_impact'] as const);
    const limit = String(1 + Math.floor(rand() * 4));
    const rows: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const list = await get(app, `/v1/analytics/vouchers${q({ ...params, timezone, sort, limit, cursor })}`, key);
      expect({ context, status: list.status }).toEqual({ context, status: 200 });
      rows.push(...list.body.data);
      cursor = list.body.next_cursor ?? undefined;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(rows).toEqual(oracle.voucherList(req, sort));
  });
});
