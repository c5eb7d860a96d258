import type { EventType, VoucherEvent } from '@app/contracts';
import { makeEvent, uid } from '../fixtures/events';
import { metricValue, startApp, type AppProcess } from '../support/app-process';
import { eventually, queryRows, testClickHouse } from '../support/clickhouse';
import { createTopics, produceEvents } from '../support/kafka';
import { prng } from '../support/prng';

const ch = testClickHouse();


function randomEvents(account: string, seed: number, n: number): VoucherEvent[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const types: EventType[] = ['voucher.validated', 'voucher.redeemed', 'voucher.redemption_rolled_back', 'order.completed'];
  const start = Date.UTC(2024, 2, 1);
  const orders = Array.from({ length: n / 3 }, () => uid('ord'));
  return Array.from({ length: n }, () => {
    const type = pick(types);
    const amount = 100 + Math.floor(rand() * 50_000);
    const valid = rand() < 0.7;
    return makeEvent(
      type,
      {
        account_id: account,
        livemode: rand() < 0.5,
        voucher_id: type === 'order.completed' ? undefined : pick(['v_a', 'v_b', 'v_c', 'v_d']),
        voucher_code: type === 'order.completed' ? undefined : pick(['CODE1', 'CODE2']),
        customer_id: `cus_${Math.floor(rand() * 40)}`,
        customer_segment: pick(['premium', 'standard', undefined]),
        customer_region: pick(['Europe', 'Asia', undefined]),
        order_id: pick(orders),
        order_amount: amount,
        currency: pick(['USD', 'EUR']),
        ...(type === 'voucher.validated' ? (valid ? { result: 'valid' } : { result: 'invalid', reason: pick(['expired', 'min_amount']) }) : {}),
        ...(type === 'voucher.redeemed' || type === 'voucher.redemption_rolled_back'
          ? { discount_amount: Math.floor(rand() * amount) }
          : {}),
      },
      { time: new Date(start + Math.floor(rand() * 10 * 86_400_000)).toISOString() },
    );
  });
}

const STATE_COLUMNS = `
  sumMerge(redeemed) AS redeemed, sumMerge(rolled_back) AS rolled_back,
  sumMerge(redeemed_discount) AS redeemed_discount, sumMerge(rolled_back_discount) AS rolled_back_discount,
  sumMerge(redeemed_order_amount) AS redeemed_order_amount, sumMerge(rolled_back_order_amount) AS rolled_back_order_amount,
  uniqExactIfMerge(orders) AS orders, uniqExactIfMerge(customers) AS customers`;

const RAW_COLUMNS = `
  countIf(type = 'voucher.redeemed') AS redeemed, countIf(type = 'voucher.redemption_rolled_back') AS rolled_back,
  sumIf(discount_amount, type = 'voucher.redeemed') AS redeemed_discount,
  sumIf(discount_amount, type = 'voucher.redemption_rolled_back') AS rolled_back_discount,
  sumIf(order_amount, type = 'voucher.redeemed') AS redeemed_order_amount,
  sumIf(order_amount, type = 'voucher.redemption_rolled_back') AS rolled_back_order_amount,
  uniqExactIf(order_id, type = 'voucher.redeemed' OR (type = 'voucher.validated' AND result = 'valid')) AS orders,
  uniqExactIf(customer_id, type = 'voucher.redeemed') AS customers`;

describe('rollups', () => {
  const id = uid('rollup');
  const env = { KAFKA_TOPIC: `${id}-events`, KAFKA_DLQ_TOPIC: `${id}-dlq`, KAFKA_CONSUMER_GROUP: `${id}-ingest` };
  const account = uid('acc');
  const seed = Date.now() % 100_000;
  let ingest: AppProcess;

  beforeAll(async () => {
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    ingest = await startApp('ingest', { ...env, INGEST_MAX_BATCH_ROWS: '500' }); // several inserts, several parts
    const random = randomEvents(account, seed, 3_000);
    // Orders seen twice at one instant with another amount or currency (the order system's
    // figure differs from checkout's): the ledger must keep both sightings through merges.
    const twice = random
      .filter((e) => e.type === 'voucher.redeemed')
      .slice(0, 20)
      .map((e, i) =>
        makeEvent('order.completed', { ...e.data, voucher_id: undefined, voucher_code: undefined, discount_amount: undefined, redemption_id: undefined, ...(i % 2 ? { order_amount: Number(e.data.order_amount) + 1 } : { currency: e.data.currency === 'USD' ? 'EUR' : 'USD' }) }, { time: e.time }),
      );
    const events = [...random, ...twice];
    await produceEvents(env.KAFKA_TOPIC, events);
    await eventually(
      async () => (await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM voucher_events WHERE account_id = '${account}'`))[0].n,
      (n) => Number(n) === events.length,
      60_000,
    );
    // The raw rows become visible before an INSERT has finished pushing its block through the
    // materialized views; ingest counts an event as inserted only once the whole statement returned.
    await eventually(() => metricValue(ingest.port, 'ingest_events_inserted_total'), (n) => n === events.length, 60_000);
  });
  afterAll(async () => {
    await ingest?.stop();
    await ch.close();
  });

  it(`voucher_stats_15m equals a recomputation from raw events (seed ${seed})`, async () => {
    const key = 'livemode, voucher_id, currency, bucket';
    const rollup = await queryRows(
      ch,
      `SELECT ${key}, ${STATE_COLUMNS}, sumMerge(validations_valid) AS valid, sumMerge(validations_invalid) AS invalid
       FROM voucher_stats_15m WHERE account_id = '${account}' GROUP BY ${key} ORDER BY ${key}`,
    );
    const raw = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, toStartOfFifteenMinutes(time) AS bucket, ${RAW_COLUMNS},
              countIf(type = 'voucher.validated' AND result = 'valid') AS valid,
              countIf(type = 'voucher.validated' AND result = 'invalid') AS invalid
       FROM voucher_events WHERE account_id = '${account}' AND voucher_id != '' GROUP BY ${key} ORDER BY ${key}`,
    );
    expect(rollup.length).toBeGreaterThan(100);
    expect(rollup).toEqual(raw);
  });

  it(`voucher_stats_1d equals a recomputation per UTC day from raw events (seed ${seed})`, async () => {
    const key = 'livemode, voucher_id, currency, bucket';
    const rollup = await queryRows(
      ch,
      `SELECT ${key}, sumMerge(redeemed) AS redeemed, sumMerge(rolled_back) AS rolled_back,
              sumMerge(redeemed_discount) AS redeemed_discount, sumMerge(rolled_back_discount) AS rolled_back_discount,
              sumMerge(redeemed_order_amount) AS redeemed_order_amount, sumMerge(rolled_back_order_amount) AS rolled_back_order_amount,
              sumMerge(validations_valid) AS valid, sumMerge(validations_invalid) AS invalid,
              minIfMerge(first_used) AS first_used, maxIfMerge(last_used) AS last_used
       FROM voucher_stats_1d WHERE account_id = '${account}' GROUP BY ${key} ORDER BY ${key}`,
    );
    const raw = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, toDateTime(intDiv(toUInt32(time), 86400) * 86400) AS bucket,
              countIf(type = 'voucher.redeemed') AS redeemed, countIf(type = 'voucher.redemption_rolled_back') AS rolled_back,
              sumIf(discount_amount, type = 'voucher.redeemed') AS redeemed_discount,
              sumIf(discount_amount, type = 'voucher.redemption_rolled_back') AS rolled_back_discount,
              sumIf(order_amount, type = 'voucher.redeemed') AS redeemed_order_amount,
              sumIf(order_amount, type = 'voucher.redemption_rolled_back') AS rolled_back_order_amount,
              countIf(type = 'voucher.validated' AND result = 'valid') AS valid,
              countIf(type = 'voucher.validated' AND result = 'invalid') AS invalid,
              minIf(time, type = 'voucher.redeemed') AS first_used, maxIf(time, type = 'voucher.redeemed') AS last_used
       FROM voucher_events WHERE account_id = '${account}' AND voucher_id != '' GROUP BY ${key} ORDER BY ${key}`,
    );
    // 10 days × 4 vouchers × 2 currencies × 2 modes: every UTC day is one row, not 96.
    expect(rollup.length).toBeGreaterThan(100);
    expect(rollup.length).toBeLessThanOrEqual(11 * 4 * 2 * 2);
    expect(rollup).toEqual(raw);
  });

  it(`voucher_usage_by_time holds every event naming a voucher, signed, to the millisecond (seed ${seed})`, async () => {
    const columns = 'livemode, voucher_id, currency, ms, sign, order_amount, discount_amount';
    const copy = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, toUInt64(time) * 1000 + time_ms AS ms, sign, order_amount, discount_amount
       FROM voucher_usage_by_time WHERE account_id = '${account}' ORDER BY ${columns}`,
    );
    const raw = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, toUInt64(time) * 1000 + time_ms AS ms,
              toInt8(multiIf(type = 'voucher.redeemed', 1, type = 'voucher.redemption_rolled_back', -1, 0)) AS sign, order_amount, discount_amount
       FROM voucher_events WHERE account_id = '${account}' AND voucher_id != '' ORDER BY ${columns}`,
    );
    expect(copy.length).toBeGreaterThan(100);
    expect(copy).toEqual(raw);
  });

  it(`voucher_dimension_stats_15m equals a recomputation for segments, regions and failure reasons (seed ${seed})`, async () => {
    const key = 'livemode, voucher_id, currency, dimension, value, bucket';
    const rollup = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, toString(dimension) AS dimension, value, bucket, ${STATE_COLUMNS},
              sumMerge(validations_invalid) AS invalid
       FROM voucher_dimension_stats_15m WHERE account_id = '${account}' GROUP BY ${key} ORDER BY ${key}`,
    );
    const raw = await queryRows(
      ch,
      `SELECT livemode, voucher_id, currency, dim.1 AS dimension, dim.2 AS value, toStartOfFifteenMinutes(time) AS bucket,
              ${RAW_COLUMNS}, countIf(type = 'voucher.validated' AND result = 'invalid') AS invalid
       FROM voucher_events ARRAY JOIN [('segment', customer_segment), ('region', customer_region), ('failure_reason', reason)] AS dim
       WHERE account_id = '${account}' AND voucher_id != '' AND dim.2 != ''
       GROUP BY ${key} ORDER BY ${key}`,
    );
    expect(rollup.map((r) => (r as { dimension: string }).dimension)).toEqual(expect.arrayContaining(['segment', 'region', 'failure_reason']));
    expect(rollup).toEqual(raw);
  });

  it('vouchers and customer_ledger equal their recomputation, every distinct sighting kept after a merge', async () => {
    const vouchers = await queryRows(
      ch,
      `SELECT livemode, voucher_id, minMerge(first_seen) AS first, maxMerge(last_seen) AS last,
              arraySort(groupUniqArrayMerge(currencies)) AS currencies
       FROM vouchers WHERE account_id = '${account}' GROUP BY livemode, voucher_id ORDER BY livemode, voucher_id`,
    );
    const rawVouchers = await queryRows(
      ch,
      `SELECT livemode, voucher_id, min(time) AS first, max(time) AS last, arraySort(groupUniqArray(currency)) AS currencies
       FROM voucher_events WHERE account_id = '${account}' AND voucher_id != '' GROUP BY livemode, voucher_id ORDER BY livemode, voucher_id`,
    );
    expect(vouchers).toEqual(rawVouchers);

    // Merged into one part first: the old ledger collapsed sightings of one order at the same
    // instant with different amounts or currencies when parts merged.
    // optimize_throw_if_noop: a merge that cannot run now (another one holds the parts) fails
    // loudly instead of leaving the check to pass without a merge.
    await eventually(
      () => ch.command({ query: 'OPTIMIZE TABLE customer_ledger FINAL', clickhouse_settings: { optimize_throw_if_noop: 1 } }).then(() => true, () => false),
      (merged) => merged,
      30_000,
    );
    const columns = 'livemode, customer_id, order_id, time, time_ms, order_amount, currency';
    const ledger = await queryRows(ch, `SELECT DISTINCT ${columns} FROM customer_ledger WHERE account_id = '${account}' ORDER BY ${columns}`);
    const rawLedger = await queryRows(
      ch,
      `SELECT DISTINCT ${columns} FROM voucher_events
       WHERE account_id = '${account}' AND type IN ('voucher.redeemed', 'order.completed') ORDER BY ${columns}`,
    );
    expect(ledger.length).toBeGreaterThan(100);
    expect(ledger).toEqual(rawLedger);
  });
});
