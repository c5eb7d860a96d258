import { sqlIdentifier, sqlNumber, sqlString } from '@app/clickhouse';

/**
 * SQL text of every analytics query, built from validated values through the one escaping
 * helper. Figures come from the 15-minute rollups; the parts of a period that do not fall on
 * 15-minute boundaries (date-time parameters) are read from the raw events and merged with the
 * rollup states, so any period is exact to the millisecond.
 */

const BUCKET_MS = 900_000;

export interface Scope {
  accountId: string;
  livemode: boolean;
  voucherId?: string;
  currency?: string;
}

export interface MsRange {
  startMs: number;
  /** exclusive */
  endMs: number;
}

/** The rollup-covered middle [from, to) in whole buckets, and the raw-read edges around it. */
export function splitRange(range: MsRange): { rollup?: MsRange; raw: MsRange[] } {
  const from = Math.ceil(range.startMs / BUCKET_MS) * BUCKET_MS;
  const to = Math.floor(range.endMs / BUCKET_MS) * BUCKET_MS;
  if (from >= to) return { raw: [range] };
  const raw: MsRange[] = [];
  if (range.startMs < from) raw.push({ startMs: range.startMs, endMs: from });
  if (to < range.endMs) raw.push({ startMs: to, endMs: range.endMs });
  return { rollup: { startMs: from, endMs: to }, raw };
}

function scopeWhere(scope: Scope): string {
  const parts = [`account_id = ${sqlString(scope.accountId)}`, `livemode = ${scope.livemode ? 1 : 0}`];
  if (scope.voucherId !== undefined) parts.push(`voucher_id = ${sqlString(scope.voucherId)}`);
  else parts.push(`voucher_id != ''`);
  if (scope.currency !== undefined) parts.push(`currency = ${sqlString(scope.currency)}`);
  return parts.join(' AND ');
}

const eventMs = '(toUInt64(time) * 1000 + time_ms)';

/** Raw events in [startMs, endMs): the coarse `time` bounds let the primary key prune. */
export function rawTimeWhere(r: MsRange): string {
  return (
    `(time >= toDateTime(${sqlNumber(Math.floor(r.startMs / 1000))}) AND time <= toDateTime(${sqlNumber(Math.floor((r.endMs - 1) / 1000))})` +
    ` AND ${eventMs} >= ${sqlNumber(r.startMs)} AND ${eventMs} < ${sqlNumber(r.endMs)})`
  );
}

function bucketWhere(r: MsRange): string {
  return `bucket >= toDateTime(${sqlNumber(r.startMs / 1000)}) AND bucket < toDateTime(${sqlNumber(r.endMs / 1000)})`;
}

// The same states the rollups' materialized views write (migrations/0001_events_and_rollups.sql),
// computed over a period's partial-bucket edges so they merge with the rollup rows into exact
// figures. Change both together; test/ingest/rollups and the query metric tests compare them.
const RAW_STATE_COLUMNS = `
    sumState(toInt64(type = 'voucher.redeemed')) AS redeemed,
    sumState(toInt64(type = 'voucher.redemption_rolled_back')) AS rolled_back,
    sumState(if(type = 'voucher.redeemed', discount_amount, toInt64(0))) AS redeemed_discount,
    sumState(if(type = 'voucher.redemption_rolled_back', discount_amount, toInt64(0))) AS rolled_back_discount,
    sumState(if(type = 'voucher.redeemed', order_amount, toInt64(0))) AS redeemed_order_amount,
    sumState(if(type = 'voucher.redemption_rolled_back', order_amount, toInt64(0))) AS rolled_back_order_amount,
    sumState(toInt64(type = 'voucher.validated' AND result = 'invalid')) AS validations_invalid,
    uniqExactIfState(order_id, toUInt8(type = 'voucher.redeemed' OR (type = 'voucher.validated' AND result = 'valid'))) AS orders,
    uniqExactIfState(customer_id, toUInt8(type = 'voucher.redeemed')) AS customers`;
const RAW_STATE_COLUMNS_MAIN = `${RAW_STATE_COLUMNS},
    sumState(toInt64(type = 'voucher.validated' AND result = 'valid')) AS validations_valid,
    minIfState(time, toUInt8(type = 'voucher.redeemed')) AS first_used,
    maxIfState(time, toUInt8(type = 'voucher.redeemed')) AS last_used`;
const ROLLUP_STATE_COLUMNS =
  'redeemed, rolled_back, redeemed_discount, rolled_back_discount, redeemed_order_amount, rolled_back_order_amount, validations_invalid, orders, customers';
const ROLLUP_STATE_COLUMNS_MAIN = `${ROLLUP_STATE_COLUMNS}, validations_valid, first_used, last_used`;

const DIMENSION_ARRAY_JOIN = `ARRAY JOIN [
    tuple(CAST('segment' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_segment),
    tuple(CAST('region' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_region),
    tuple(CAST('failure_reason' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), reason)
] AS dim`;

export interface StateSourceOptions {
  /** Group key expressions: over the rollup's `bucket` and over the raw `time` column. */
  keys: Array<{ name: string; bucket: string; raw: string }>;
  /** Read the per-dimension rollup (segment, region, failure reason) instead of the main one. */
  dimensions?: boolean;
}

/** A UNION ALL of aggregate states over the rollup middle and raw edges, grouped by the keys. */
export function stateSource(db: string, scope: Scope, range: MsRange, options: StateSourceOptions): string {
  const d = sqlIdentifier(db);
  const { rollup, raw } = splitRange(range);
  const dims = options.dimensions === true;
  const parts: string[] = [];
  const rollupKeys = options.keys.map((k) => `${k.bucket} AS ${k.name}`);
  const rawKeys = options.keys.map((k) => `${k.raw} AS ${k.name}`);
  if (rollup) {
    const select = [...rollupKeys, ...(dims ? ['dimension', 'value'] : []), dims ? ROLLUP_STATE_COLUMNS : ROLLUP_STATE_COLUMNS_MAIN];
    parts.push(
      `SELECT ${select.join(', ')} FROM ${d}.${dims ? 'voucher_dimension_stats_15m' : 'voucher_stats_15m'} WHERE ${scopeWhere(scope)} AND ${bucketWhere(rollup)}`,
    );
  }
  if (raw.length) {
    const groupBy = [...options.keys.map((k) => k.name), ...(dims ? ['dimension', 'value'] : [])];
    const select = [...rawKeys, ...(dims ? ['dim.1 AS dimension', 'dim.2 AS value'] : []), dims ? RAW_STATE_COLUMNS : RAW_STATE_COLUMNS_MAIN];
    parts.push(
      `SELECT ${select.join(', ')} FROM ${d}.voucher_events ${dims ? DIMENSION_ARRAY_JOIN : ''}` +
        ` WHERE ${scopeWhere(scope)} AND (${raw.map(rawTimeWhere).join(' OR ')})${dims ? " AND dim.2 != ''" : ''}` +
        (groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''),
    );
  }
  return parts.join('\nUNION ALL\n');
}

/**
 * The statements that merge a state source into figures per key: the sums in one, and each
 * distinct count (orders, customers) in its own. Merging one voucher's few thousand uniqExact
 * states runs on a single core in ClickHouse 18.16, so independent statements sent at once use
 * both cores and roughly halve the latency; the caller joins the rows on the group keys.
 * Distinct counts only when asked for, as they dominate the cost.
 */
export function mergedStatsQueries(source: string, groupBy: string[], options: { distinct: boolean; main?: boolean }): string[] {
  const sums = [
    'sumMerge(redeemed) AS n_redeemed',
    'sumMerge(rolled_back) AS n_rolled_back',
    'sumMerge(redeemed_discount) AS n_redeemed_discount',
    'sumMerge(rolled_back_discount) AS n_rolled_back_discount',
    'sumMerge(redeemed_order_amount) AS n_redeemed_order_amount',
    'sumMerge(rolled_back_order_amount) AS n_rolled_back_order_amount',
    'sumMerge(validations_invalid) AS n_validations_invalid',
    ...(options.main
      ? [
          'sumMerge(validations_valid) AS n_validations_valid',
          'toUInt32(minIfMerge(first_used)) AS first_used_s',
          'toUInt32(maxIfMerge(last_used)) AS last_used_s',
        ]
      : []),
  ];
  const statements = [sums, ...(options.distinct ? [['uniqExactIfMerge(orders) AS n_orders'], ['uniqExactIfMerge(customers) AS n_customers']] : [])];
  const grouped = groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : '';
  return statements.map((columns) => `SELECT ${[...groupBy, ...columns].join(', ')} FROM (\n${source}\n)${grouped}`);
}

/** Does the voucher exist for this account and mode; its latest code and currencies. */
export function voucherMetaSql(db: string, scope: Required<Pick<Scope, 'accountId' | 'livemode' | 'voucherId'>>): string {
  return (
    `SELECT count() AS n, argMaxMerge(code) AS code, groupUniqArrayMerge(currencies) AS currencies` +
    ` FROM ${sqlIdentifier(db)}.vouchers WHERE ${scopeWhere(scope)}`
  );
}

/** Redemptions per currency over the voucher's whole history (picks the default currency). */
export function redemptionsByCurrencySql(db: string, scope: Scope): string {
  return (
    `SELECT currency, sumMerge(redeemed) AS n_redeemed FROM ${sqlIdentifier(db)}.voucher_stats_15m` +
    ` WHERE ${scopeWhere({ ...scope, currency: undefined })} GROUP BY currency`
  );
}

/**
 * Customers of the voucher in the period, grouped by the segment and region of each customer's
 * latest redemption, with how many are new (first order ever for the account is one of these
 * redemptions) and their spend up to the end of the period in this currency.
 */
export function customerInsightsSql(db: string, scope: Required<Scope>, range: MsRange): string {
  const d = sqlIdentifier(db);
  const redeemedWhere = `${scopeWhere(scope)} AND type = 'voucher.redeemed' AND ${rawTimeWhere(range)}`;
  // Keys are fixed-width (epoch ms + 10^13 has 14 digits) so string order is time order, ties by id.
  return `
SELECT seg, reg, count() AS n_customers, sum(is_new) AS n_new, sum(spend) AS n_spend FROM (
  SELECT seg, reg, toUInt8(has(orders, first_order)) AS is_new, spend
  FROM (
    SELECT customer_id,
      groupUniqArray(order_id) AS orders,
      argMax(customer_segment, sort_key) AS seg,
      argMax(customer_region, sort_key) AS reg
    FROM (
      SELECT customer_id, order_id, customer_segment, customer_region,
        concat(toString(${eventMs} + 10000000000000), event_id) AS sort_key
      FROM ${d}.voucher_events WHERE ${redeemedWhere}
    )
    GROUP BY customer_id
  )
  ANY LEFT JOIN (
    SELECT customer_id,
      substring(min(concat(toString(t + 10000000000000), '|', order_id)), 16) AS first_order,
      sumIf(amount, t < ${sqlNumber(range.endMs)} AND cur = ${sqlString(scope.currency)}) AS spend
    FROM (
      SELECT customer_id, order_id, min(${eventMs}) AS t, any(order_amount) AS amount, any(currency) AS cur
      FROM ${d}.customer_orders
      WHERE account_id = ${sqlString(scope.accountId)} AND livemode = ${scope.livemode ? 1 : 0}
        AND customer_id IN (SELECT customer_id FROM ${d}.voucher_events WHERE ${redeemedWhere})
      GROUP BY customer_id, order_id
    )
    GROUP BY customer_id
  ) USING customer_id
)
GROUP BY seg, reg`;
}

/** The account's vouchers with additive headline figures for a period, per voucher and currency. */
export function voucherListSql(
  db: string,
  scope: Scope,
  range: MsRange,
  sort: 'uses' | 'discount' | 'revenue_impact',
  after: { value: string; voucherId: string; currency: string } | undefined,
  limit: number,
): string {
  const d = sqlIdentifier(db);
  const source = stateSource(db, scope, range, {
    keys: [
      { name: 'voucher_id', bucket: 'voucher_id', raw: 'voucher_id' },
      { name: 'currency', bucket: 'currency', raw: 'currency' },
    ],
  });
  const sortExpr = { uses: 'f_uses', discount: 'f_discount', revenue_impact: 'f_revenue_impact' }[sort];
  const having = after
    ? ` HAVING ${sortExpr} < ${sqlNumber(Number(after.value))} OR (${sortExpr} = ${sqlNumber(Number(after.value))} AND (voucher_id > ${sqlString(after.voucherId)} OR (voucher_id = ${sqlString(after.voucherId)} AND currency > ${sqlString(after.currency)})))`
    : '';
  return `
SELECT voucher_id, currency, f_uses, f_discount, f_revenue_impact, code FROM (
  SELECT voucher_id, currency,
    sumMerge(redeemed) - sumMerge(rolled_back) AS f_uses,
    sumMerge(redeemed_discount) - sumMerge(rolled_back_discount) AS f_discount,
    (sumMerge(redeemed_order_amount) - sumMerge(redeemed_discount)) - (sumMerge(rolled_back_order_amount) - sumMerge(rolled_back_discount)) AS f_revenue_impact
  FROM (${source})
  GROUP BY voucher_id, currency${having}
  ORDER BY ${sortExpr} DESC, voucher_id, currency
  LIMIT ${sqlNumber(limit)}
) AS l
ANY LEFT JOIN (
  SELECT voucher_id, argMaxMerge(code) AS code FROM ${d}.vouchers
  WHERE account_id = ${sqlString(scope.accountId)} AND livemode = ${scope.livemode ? 1 : 0} GROUP BY voucher_id
) USING voucher_id`;
}
