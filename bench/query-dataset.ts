import { migrate, sqlIdentifier, sqlNumber, sqlString, viewBackfillSql, type ClickHouseClient } from '@app/clickhouse';
import { coverageOf, coverageSql } from '../apps/query/src/analytics/storage/stats-sql';

/**
 * The benchmark dataset of issue 3, generated inside ClickHouse (INSERT … SELECT FROM numbers),
 * which loads 10M events in minutes where producing them through Kafka would take much longer.
 * Deterministic: every value is a hash of the event number.
 */
export const BENCH = {
  account: 'acc_bench',
  hotVoucher: 'v_hot',
  events: 10_000_000,
  vouchers: 10_000,
  customers: 1_000_000,
  days: 90,
  /** every 45th event belongs to the hot voucher; 10% of events are order.completed (no voucher) → ≈200k */
  hotEvery: 45,
};

const TYPE_ENUM = "Enum8('voucher.validated' = 1, 'voucher.redeemed' = 2, 'voucher.redemption_rolled_back' = 3, 'order.completed' = 4)";

/** The 90 days ending at the start of today (UTC), so date-only requests align with rollup buckets. */
export function benchPeriod(now = Date.now()): { startMs: number; endMs: number; startDate: string; endDate: string } {
  const endMs = Math.floor(now / 86_400_000) * 86_400_000;
  const startMs = endMs - BENCH.days * 86_400_000;
  return { startMs, endMs, startDate: new Date(startMs).toISOString().slice(0, 10), endDate: new Date(endMs - 1).toISOString().slice(0, 10) };
}

/** Every table a request reads. */
const READ_TABLES = ['voucher_events', 'customer_ledger', 'vouchers', 'voucher_stats_15m', 'voucher_dimension_stats_15m', 'voucher_stats_1d', 'voucher_usage_by_time'];

export async function loadDataset(client: ClickHouseClient, database: string, log: (m: string) => void): Promise<void> {
  await migrate(client, database);
  const db = sqlIdentifier(database);
  const [{ n }] = await (await client.query({ query: `SELECT count() AS n FROM ${db}.voucher_events`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(n) === BENCH.events) {
    log(`dataset already loaded in ${database} (${n} events)`);
    await backfillUsageByTime(client, database, log);
    // A migration since the load may have filled a table in several parts (0004's backfill).
    for (const table of READ_TABLES) await optimizeEveryPartition(client, database, table);
    return;
  }
  if (Number(n) !== 0) throw new Error(`${database}.voucher_events holds ${n} rows; drop the database to reload`);
  const { startMs } = benchPeriod();
  const span = BENCH.days * 86_400;
  const chunk = 1_000_000;
  for (let offset = 0; offset < BENCH.events; offset += chunk) {
    const started = Date.now();
    await client.command({
      query: `
INSERT INTO ${db}.voucher_events
SELECT
  concat('e_', toString(number)) AS event_id,
  CAST(multiIf(r < 40, 'voucher.validated', r < 85, 'voucher.redeemed', r < 90, 'voucher.redemption_rolled_back', 'order.completed') AS ${TYPE_ENUM}) AS type,
  'bench' AS source,
  toDateTime(${sqlNumber(startMs / 1000)} + cityHash64(number, 1) % ${sqlNumber(span)}) AS time,
  toUInt16(cityHash64(number, 2) % 1000) AS time_ms,
  '${BENCH.account}' AS account_id,
  toUInt8(0) AS livemode,
  if(r >= 90, '', if(number % ${BENCH.hotEvery} = 0, '${BENCH.hotVoucher}', concat('v_', toString(cityHash64(number, 3) % ${sqlNumber(BENCH.vouchers - 1)})))) AS voucher_id,
  if(r >= 90, '', if(number % ${BENCH.hotEvery} = 0, 'HOT2024', concat('CODE', toString(cityHash64(number, 3) % ${sqlNumber(BENCH.vouchers - 1)})))) AS voucher_code,
  concat('c_', toString(cityHash64(number, 4) % ${sqlNumber(BENCH.customers)})) AS customer_id,
  ['premium', 'standard', 'new', 'vip'][cityHash64(number, 5) % 4 + 1] AS customer_segment,
  ['North America', 'Europe', 'Asia Pacific', 'Latin America', 'Africa'][cityHash64(number, 6) % 5 + 1] AS customer_region,
  concat('o_', toString(cityHash64(number, 7) % 6000000)) AS order_id,
  toInt64(1000 + cityHash64(number, 8) % 50000) AS order_amount,
  if(r >= 40 AND r < 90, toInt64(intDiv(1000 + cityHash64(number, 8) % 50000, 10)), toInt64(0)) AS discount_amount,
  if(cityHash64(number, 9) % 20 = 0, 'EUR', 'USD') AS currency,
  if(r >= 40 AND r < 90, concat('r_', toString(number)), '') AS redemption_id,
  multiIf(r < 35, 'valid', r < 40, 'invalid', '') AS result,
  if(r >= 35 AND r < 40, ['expired', 'minimum_order_not_met'][cityHash64(number, 10) % 2 + 1], '') AS reason,
  'bench' AS kafka_topic,
  toUInt32(0) AS kafka_partition,
  number AS kafka_offset,
  now() AS ingested_at
FROM (SELECT number, cityHash64(number, 0) % 100 AS r FROM numbers(${sqlNumber(offset)}, ${sqlNumber(chunk)}))`,
    });
    log(`loaded ${offset + chunk} events (${Date.now() - started} ms for this chunk)`);
  }
  // Every table a request reads, the raw events and the customer ledger included: with the parts a
  // load happens to leave (5 ledger parts once, 1 another time) customer insights moved 580 → 450 ms.
  for (const table of READ_TABLES) await optimizeEveryPartition(client, database, table);
}

/**
 * A dataset loaded before migration 0005 has an empty voucher_usage_by_time, covered only from
 * the day after its latest event: fill it as docs/operations.md says (no ingest writes here).
 */
async function backfillUsageByTime(client: ClickHouseClient, database: string, log: (m: string) => void): Promise<void> {
  const db = sqlIdentifier(database);
  const coverage = coverageOf(await (await client.query({ query: coverageSql(database), format: 'JSONEachRow' })).json());
  if (coverage.usageFrom === 0) return;
  log('backfilling voucher_usage_by_time (migration 0005 came after the load)');
  await client.command({ query: `TRUNCATE TABLE ${db}.voucher_usage_by_time` });
  await client.command({ query: viewBackfillSql(database, 'voucher_usage_by_time_mv') });
  // A newer coverage row wins; a second later than the migration's, so that it is newer.
  await new Promise((r) => setTimeout(r, 1_000));
  await client.command({ query: `INSERT INTO ${db}.rollup_coverage VALUES ('voucher_usage_by_time', toDateTime(0), now())` });
}

/**
 * Merges each partition of a table that holds more than one part into one, as background merges
 * eventually would, so every run reads the same layout. (18.16's OPTIMIZE … FINAL without
 * PARTITION merges one partition only.)
 */
async function optimizeEveryPartition(client: ClickHouseClient, database: string, table: string): Promise<void> {
  const partitions = await (
    await client.query({
      query: `SELECT partition_id FROM system.parts WHERE active AND database = ${sqlString(database)} AND table = ${sqlString(table)} GROUP BY partition_id HAVING count() > 1`,
      format: 'JSONEachRow',
    })
  ).json<{ partition_id: string }>();
  for (const { partition_id } of partitions) {
    await client.command({ query: `OPTIMIZE TABLE ${sqlIdentifier(database)}.${sqlIdentifier(table)} PARTITION ID ${sqlString(partition_id)} FINAL` });
  }
}
