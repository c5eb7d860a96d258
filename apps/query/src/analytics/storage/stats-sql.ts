import { EVENT_MS, eventTimeWhere, sqlIdentifier, sqlInt64, sqlNumber, sqlString } from '@app/clickhouse';
import { DAY_MS } from '@app/time';

/**
 * SQL text of every analytics query, built from validated values through the one escaping
 * helper. A period is read in up to three resolutions, merged as aggregate states so any period
 * is exact to the millisecond: whole UTC days from the daily rollup (additive figures only, and
 * only from the day it holds every event), whole 15-minute buckets from the 15-minute rollups,
 * and the partial-bucket edges (date-time parameters) from the raw events.
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

export interface RangeParts {
  /** Whole UTC days, from the daily rollup. */
  daily?: MsRange;
  /** Whole 15-minute buckets, from the 15-minute rollups. */
  rollup: MsRange[];
  /** Partial-bucket edges, from the raw events. */
  raw: MsRange[];
}

function splitQuarterHours(range: MsRange, parts: RangeParts): void {
  if (range.startMs >= range.endMs) return;
  const from = Math.ceil(range.startMs / BUCKET_MS) * BUCKET_MS;
  const to = Math.floor(range.endMs / BUCKET_MS) * BUCKET_MS;
  if (from >= to) {
    parts.raw.push(range);
    return;
  }
  if (range.startMs < from) parts.raw.push({ startMs: range.startMs, endMs: from });
  parts.rollup.push({ startMs: from, endMs: to });
  if (to < range.endMs) parts.raw.push({ startMs: to, endMs: range.endMs });
}

/**
 * Splits a period into disjoint pieces that cover it exactly: whole UTC days at or after
 * `dailyFrom` (omit it where the daily rollup must not be used), then whole 15-minute buckets,
 * then the raw edges.
 */
export function splitRange(range: MsRange, dailyFrom = Infinity): RangeParts {
  const parts: RangeParts = { rollup: [], raw: [] };
  const from = Math.max(Math.ceil(range.startMs / DAY_MS) * DAY_MS, Math.ceil(dailyFrom / DAY_MS) * DAY_MS);
  const to = Math.floor(range.endMs / DAY_MS) * DAY_MS;
  if (from >= to) {
    splitQuarterHours(range, parts);
    return parts;
  }
  splitQuarterHours({ startMs: range.startMs, endMs: from }, parts);
  parts.daily = { startMs: from, endMs: to };
  splitQuarterHours({ startMs: to, endMs: range.endMs }, parts);
  return parts;
}

function scopeWhere(scope: Scope): string {
  const parts = [`account_id = ${sqlString(scope.accountId)}`, `livemode = ${scope.livemode ? 1 : 0}`];
  if (scope.voucherId !== undefined) parts.push(`voucher_id = ${sqlString(scope.voucherId)}`);
  else parts.push(`voucher_id != ''`);
  if (scope.currency !== undefined) parts.push(`currency = ${sqlString(scope.currency)}`);
  return parts.join(' AND ');
}

function bucketWhere(ranges: MsRange[]): string {
  const one = (r: MsRange) => `(bucket >= toDateTime(${sqlNumber(r.startMs / 1000)}) AND bucket < toDateTime(${sqlNumber(r.endMs / 1000)}))`;
  return ranges.length === 1 ? one(ranges[0]) : `(${ranges.map(one).join(' OR ')})`;
}

// Each state column as the rollups store it, and the expression that computes the same state
// from raw events (the period's partial-bucket edges). These mirror the rollups' materialized
// views (migrations/0001_events_and_rollups.sql, 0002_daily_rollup.sql): change both together;
// test/ingest/rollups and the query metric tests compare them.
const STATE_EXPRESSIONS = {
  redeemed: "sumState(toInt64(type = 'voucher.redeemed'))",
  rolled_back: "sumState(toInt64(type = 'voucher.redemption_rolled_back'))",
  redeemed_discount: "sumState(if(type = 'voucher.redeemed', discount_amount, toInt64(0)))",
  rolled_back_discount: "sumState(if(type = 'voucher.redemption_rolled_back', discount_amount, toInt64(0)))",
  redeemed_order_amount: "sumState(if(type = 'voucher.redeemed', order_amount, toInt64(0)))",
  rolled_back_order_amount: "sumState(if(type = 'voucher.redemption_rolled_back', order_amount, toInt64(0)))",
  validations_invalid: "sumState(toInt64(type = 'voucher.validated' AND result = 'invalid'))",
  validations_valid: "sumState(toInt64(type = 'voucher.validated' AND result = 'valid'))",
  first_used: "minIfState(time, toUInt8(type = 'voucher.redeemed'))",
  last_used: "maxIfState(time, toUInt8(type = 'voucher.redeemed'))",
  orders: "uniqExactIfState(order_id, toUInt8(type = 'voucher.redeemed' OR (type = 'voucher.validated' AND result = 'valid')))",
  customers: "uniqExactIfState(customer_id, toUInt8(type = 'voucher.redeemed'))",
} as const;

type StateColumn = keyof typeof STATE_EXPRESSIONS;

const SUM_STATES: StateColumn[] = [
  'redeemed',
  'rolled_back',
  'redeemed_discount',
  'rolled_back_discount',
  'redeemed_order_amount',
  'rolled_back_order_amount',
  'validations_invalid',
];
/** Only in the main rollups (not per dimension): performance details. */
const MAIN_STATES: StateColumn[] = ['validations_valid', 'first_used', 'last_used'];
/** The distinct counts a figure may need: the expensive part of every query, and not in the daily rollup. */
export const DISTINCT_COUNTS = ['orders', 'customers'] as const satisfies readonly StateColumn[];
export type DistinctCount = (typeof DISTINCT_COUNTS)[number];
const isDistinctCount = (c: StateColumn): c is DistinctCount => (DISTINCT_COUNTS as readonly StateColumn[]).includes(c);

const DIMENSION_ARRAY_JOIN = `ARRAY JOIN [
    tuple(CAST('segment' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_segment),
    tuple(CAST('region' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), customer_region),
    tuple(CAST('failure_reason' AS Enum8('segment' = 1, 'region' = 2, 'failure_reason' = 3)), reason)
] AS dim`;

/** A group key: its expression over the rollups' `bucket` and over the raw `time` column. */
export interface GroupKey {
  name: string;
  bucket: string;
  raw: string;
}

/** Group by currency: the same column in every table. */
export const CURRENCY_KEY: GroupKey = { name: 'currency', bucket: 'currency', raw: 'currency' };

/** A trend's comparison period, keyed beside its buckets (`day`): never a YYYY-MM-DD bucket. */
export const PREVIOUS_PERIOD = 'previous';
const PREVIOUS_PERIOD_KEY: GroupKey = { name: 'day', bucket: `'${PREVIOUS_PERIOD}'`, raw: `'${PREVIOUS_PERIOD}'` };

export type Dimension = 'segment' | 'region' | 'failure_reason';

export interface StateSourceOptions {
  keys: GroupKey[];
  /**
   * Read the per-dimension rollup (segment, region, failure reason) instead of the main one;
   * a dimension's name reads that dimension only.
   */
  dimensions?: boolean | Dimension;
  /** The state columns to read; by default every additive one. */
  columns?: StateColumn[];
  /**
   * From which instant the daily rollup holds every event (see rollup_coverage). Pass it only
   * when every key is constant within a UTC day; it is ignored for distinct counts and dimensions.
   */
  dailyFrom?: number;
}

/** The columns a state source is grouped by: its keys, then the dimension pair when per dimension. */
export function groupColumns(options: Pick<StateSourceOptions, 'keys' | 'dimensions'>): string[] {
  return [...options.keys.map((k) => k.name), ...(options.dimensions ? ['dimension', 'value'] : [])];
}

/** A period to read and the keys its states are grouped by (the same names in every period of a source). */
export interface KeyedPeriod {
  range: MsRange;
  keys: GroupKey[];
  /** As StateSourceOptions.dailyFrom, for this period. */
  dailyFrom?: number;
}

/** A UNION ALL of aggregate states over the period's pieces (splitRange), grouped by the keys. */
export function stateSource(db: string, scope: Scope, range: MsRange, options: StateSourceOptions): string {
  return periodsStateSource(db, scope, [{ range, keys: options.keys, dailyFrom: options.dailyFrom }], options);
}

/**
 * The states of several disjoint periods, each grouped by its own keys, reading each table once:
 * a key whose expression differs between periods becomes a multiIf on the period's bounds. On
 * 18.16 a second SELECT of the same table in a UNION ALL costs ~1.2 ms more than one SELECT of both
 * ranges (bench data, a trend and its comparison period from the daily rollup).
 */
export function periodsStateSource(db: string, scope: Scope, periods: KeyedPeriod[], options: Pick<StateSourceOptions, 'dimensions' | 'columns'>): string {
  const d = sqlIdentifier(db);
  const columns = options.columns ?? SUM_STATES;
  const dims = Boolean(options.dimensions);
  const onlyDimension = typeof options.dimensions === 'string' ? sqlString(options.dimensions) : undefined;
  const dailyAllowed = !dims && !columns.some(isDistinctCount);
  const names = periods[0].keys.map((k) => k.name);
  const groupBy = groupColumns({ keys: periods[0].keys, dimensions: options.dimensions });
  type Piece = { where: string; keys: string[] };
  const daily: Piece[] = [];
  const rollup: Piece[] = [];
  const raw: Piece[] = [];
  for (const period of periods) {
    const parts = splitRange(period.range, dailyAllowed ? period.dailyFrom : undefined);
    const bucketKeys = period.keys.map((k) => k.bucket);
    if (parts.daily) daily.push({ where: bucketWhere([parts.daily]), keys: bucketKeys });
    if (parts.rollup.length) rollup.push({ where: bucketWhere(parts.rollup), keys: bucketKeys });
    if (parts.raw.length) raw.push({ where: `(${parts.raw.map(eventTimeWhere).join(' OR ')})`, keys: period.keys.map((k) => k.raw) });
  }
  // Each key once: its expression where every piece agrees, else chosen by the piece's bounds.
  const keySelect = (pieces: Piece[]) =>
    names.map((name, i) => {
      const exprs = pieces.map((p) => p.keys[i]);
      if (exprs.every((e) => e === exprs[0])) return `${exprs[0]} AS ${name}`;
      const branches = pieces.slice(0, -1).flatMap((p) => [p.where, p.keys[i]]);
      return `multiIf(${[...branches, exprs[exprs.length - 1]].join(', ')}) AS ${name}`;
    });
  const whereOf = (pieces: Piece[]) => (pieces.length === 1 ? pieces[0].where : `(${pieces.map((p) => p.where).join(' OR ')})`);
  const rollupSelect = (table: string, pieces: Piece[]) =>
    `SELECT ${[...keySelect(pieces), ...(dims ? ['dimension', 'value'] : []), ...columns].join(', ')} FROM ${d}.${table} WHERE ${scopeWhere(scope)} AND ${whereOf(pieces)}` +
    (onlyDimension ? ` AND dimension = ${onlyDimension}` : '');
  const parts: string[] = [];
  if (daily.length) parts.push(rollupSelect('voucher_stats_1d', daily));
  if (rollup.length) parts.push(rollupSelect(dims ? 'voucher_dimension_stats_15m' : 'voucher_stats_15m', rollup));
  if (raw.length) {
    const select = [
      ...keySelect(raw),
      ...(dims ? ['dim.1 AS dimension', 'dim.2 AS value'] : []),
      ...columns.map((c) => `${STATE_EXPRESSIONS[c]} AS ${c}`),
    ];
    parts.push(
      `SELECT ${select.join(', ')} FROM ${d}.voucher_events ${dims ? DIMENSION_ARRAY_JOIN : ''}` +
        ` WHERE ${scopeWhere(scope)} AND ${whereOf(raw)}${dims ? " AND dim.2 != ''" : ''}${onlyDimension ? ` AND dim.1 = ${onlyDimension}` : ''}` +
        (groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''),
    );
  }
  return parts.join('\nUNION ALL\n');
}

export interface MergedStatsOptions extends Omit<StateSourceOptions, 'columns'> {
  /** The distinct counts to compute besides the sums; only what the answer shows. */
  distinct: readonly DistinctCount[];
  /** Also the performance details' validations and first/last use (main rollup only). */
  main?: boolean;
  /**
   * Another period whose sums (not its distinct counts) come back from the sums statement, under
   * its own keys: the same names as `keys`, with values the main period's rows cannot take (a
   * trend's comparison period keyed 'previous' beside its YYYY-MM-DD buckets). One statement
   * instead of two: on 18.16 each statement costs ~1 ms of fixed work, more than these few rows.
   */
  alsoSums?: KeyedPeriod;
}

/**
 * The statements that merge a period's states into figures per key, in this order: the sums
 * (from the daily rollup where allowed), then each distinct count asked for, on its own, in the
 * order asked. Merging one voucher's few thousand uniqExact states gains little
 * from a second thread in ClickHouse 18.16, so independent statements sent at once use both
 * cores better; the caller joins the rows on the group keys.
 */
export function mergedStatsQueries(db: string, scope: Scope, range: MsRange, options: MergedStatsOptions): string[] {
  const groupBy = groupColumns(options);
  const sums = SUM_STATES.map((c) => `sumMerge(${c}) AS n_${c}`);
  if (options.main) sums.push('sumMerge(validations_valid) AS n_validations_valid', 'toUInt32(minIfMerge(first_used)) AS first_used_s', 'toUInt32(maxIfMerge(last_used)) AS last_used_s');
  const statements: Array<{ columns: StateColumn[]; select: string[]; settings?: string }> = [
    { columns: options.main ? [...SUM_STATES, ...MAIN_STATES] : SUM_STATES, select: sums },
  ];
  for (const count of options.distinct) {
    // One thread each: with two, each thread builds a set of nearly every distinct value (the
    // states are spread over both) and the two sets are merged again; the statements run side
    // by side instead (bench: p50 ~39-48 → ~37 ms for the performance statements together).
    statements.push({ columns: [count], select: [`uniqExactIfMerge(${count}) AS n_${count}`], settings: ' SETTINGS max_threads = 1' });
  }
  const grouped = groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : '';
  const main: KeyedPeriod = { range, keys: options.keys, dailyFrom: options.dailyFrom };
  const withAlso = options.alsoSums ? [main, options.alsoSums] : [main];
  return statements.map(({ columns, select, settings }, i) => {
    const source = periodsStateSource(db, scope, i === 0 ? withAlso : [main], { ...options, columns });
    return `SELECT ${[...groupBy, ...select].join(', ')} FROM (\n${source}\n)${grouped}${settings ?? ''}`;
  });
}

/**
 * The statements of a trend: figures per currency and bucket (`day`, the bucket's first day from
 * `bucketOf`), with the preceding period's sums in the sums statement keyed PREVIOUS_PERIOD.
 * `utcDays`: every bucket boundary is a UTC midnight, so the buckets may read the daily rollup.
 */
export function trendStatsOptions(
  bucketOf: (column: string) => string,
  trend: { distinct: readonly DistinctCount[]; previous: MsRange; dailyFrom: number; utcDays: boolean },
): MergedStatsOptions {
  return {
    keys: [CURRENCY_KEY, { name: 'day', bucket: bucketOf('bucket'), raw: bucketOf('time') }],
    distinct: trend.distinct,
    dailyFrom: trend.utcDays ? trend.dailyFrom : undefined,
    alsoSums: { range: trend.previous, keys: [CURRENCY_KEY, PREVIOUS_PERIOD_KEY], dailyFrom: trend.dailyFrom },
  };
}

/**
 * From which instant each table a migration added to a database that held events (the daily
 * rollup, voucher_usage_by_time) holds every event; the latest row of each wins. Every row a
 * migration writes is safe (computed after the view existed and the inserts running then had
 * finished), and an operator who backfilled a table records that with a newer row from the
 * epoch (docs/operations.md). Read with coverageOf.
 */
export function coverageSql(db: string): string {
  // Quoted: a bare `GROUP BY rollup` before FORMAT is read as ROLLUP( by the parser.
  return `SELECT \`rollup\` AS name, toUInt32(argMax(complete_from, recorded_at)) AS complete_from_s FROM ${sqlIdentifier(db)}.rollup_coverage GROUP BY \`rollup\``;
}

/** The Coverage that coverageSql's rows give; a table without a row is never used (Infinity). */
export function coverageOf(rows: Array<{ name?: unknown; complete_from_s?: unknown }>): Required<Coverage> {
  const from = (table: string) => {
    const row = rows.find((r) => r.name === table);
    return row ? Number(row.complete_from_s) * 1000 : Infinity;
  };
  return { dailyFrom: from('voucher_stats_1d'), usageFrom: from('voucher_usage_by_time') };
}

/** All of time, in whole UTC days: DateTime ends in 2106. */
const ALL_TIME: MsRange = { startMs: 0, endMs: Math.floor(4_294_967_295_000 / DAY_MS) * DAY_MS };

/** Redemptions per currency over the voucher's whole history (picks the default currency). */
function redemptionsByCurrencySql(db: string, scope: Scope, dailyFrom?: number): string {
  const source = stateSource(db, { ...scope, currency: undefined }, ALL_TIME, {
    keys: [CURRENCY_KEY],
    columns: ['redeemed'],
    dailyFrom,
  });
  return `SELECT currency, sumMerge(redeemed) AS n_redeemed FROM (\n${source}\n) GROUP BY currency`;
}

/**
 * Does the voucher exist for this account and mode; its latest code and currencies; and, when
 * the caller must choose the default currency (`currencyChoice`), its redemptions per currency
 * over its whole history as `redemptions` [[currency, count], …]. One statement, not two: the
 * scalar subquery adds ~1 ms, a second statement ~2 ms of a 2-core ClickHouse's time.
 */
export function voucherScopeSql(
  db: string,
  scope: Required<Pick<Scope, 'accountId' | 'livemode' | 'voucherId'>>,
  currencyChoice?: { dailyFrom?: number },
): string {
  const redemptions = currencyChoice
    ? `, (SELECT groupArray((currency, n_redeemed)) FROM (${redemptionsByCurrencySql(db, scope, currencyChoice.dailyFrom)})) AS redemptions`
    : '';
  return (
    `SELECT count() AS n, argMaxMerge(code) AS code, groupUniqArrayMerge(currencies) AS currencies${redemptions}` +
    ` FROM ${sqlIdentifier(db)}.vouchers WHERE ${scopeWhere(scope)}`
  );
}

/**
 * Customers of the voucher in the period, grouped by the segment and region of each customer's
 * latest redemption, with how many are new (first order ever for the account is one of these
 * redemptions) and their spend up to the end of the period in this currency.
 *
 * Each customer's ledger is gathered into one array of (time, order, amount, currency) sightings
 * and sorted, so an order counts once, with its earliest sighting (ties: smaller amount, then
 * currency: deterministic however parts are read), and the first element is the first order
 * ever (ties by order id). One GROUP BY per customer replaced a GROUP BY per (customer, order)
 * followed by one per customer: ~20% less time on the bench's 587k-sighting ledger (18.16 groups
 * by two string keys slowly).
 * The ledger is filtered by an IN set of ~all the voucher's customers; letting 18.16 use that set
 * for primary-key analysis cost more than it pruned (measured 1.18 s → 0.99 s without).
 */
export function customerInsightsSql(db: string, scope: Required<Scope>, range: MsRange): string {
  const d = sqlIdentifier(db);
  const redeemedWhere = `${scopeWhere(scope)} AND type = 'voucher.redeemed' AND ${eventTimeWhere(range)}`;
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
        concat(toString(${EVENT_MS} + 10000000000000), event_id) AS sort_key
      FROM ${d}.voucher_events WHERE ${redeemedWhere}
    )
    GROUP BY customer_id
  )
  ANY LEFT JOIN (
    SELECT customer_id,
      sightings[1].2 AS first_order,
      arraySum(arrayMap(
        (s, nth) -> if(nth = 1 AND s.1 < ${sqlNumber(range.endMs)} AND s.4 = ${sqlString(scope.currency)}, s.3, toInt64(0)),
        sightings, arrayEnumerateUniq(arrayMap(s -> s.2, sightings)))) AS spend
    FROM (
      SELECT customer_id, arraySort(groupArray((${EVENT_MS}, order_id, order_amount, currency))) AS sightings
      FROM ${d}.customer_ledger
      WHERE account_id = ${sqlString(scope.accountId)} AND livemode = ${scope.livemode ? 1 : 0}
        AND customer_id IN (SELECT customer_id FROM ${d}.voucher_events WHERE ${redeemedWhere})
      GROUP BY customer_id
    )
  ) USING customer_id
)
GROUP BY seg, reg
SETTINGS use_index_for_in_with_subqueries = 0`;
}

/** Group keys of the voucher list: the same columns in every table. */
const LIST_KEYS: GroupKey[] = [{ name: 'voucher_id', bucket: 'voucher_id', raw: 'voucher_id' }, CURRENCY_KEY];

/** From which instants the tables a migration added to a database with events hold every event. */
export interface Coverage {
  /** The daily rollup (StateSourceOptions.dailyFrom). */
  dailyFrom?: number;
  /** voucher_usage_by_time (0005). */
  usageFrom?: number;
}

/**
 * The voucher list's figures (uses, discount, revenue_impact) per voucher and currency, in rows to
 * be summed per key: whole UTC days from the daily rollup, and the rest of the period (its edges,
 * or days before the daily rollup is complete) from voucher_usage_by_time, whose time-first order
 * reads just those hours of the account. Before that table is complete, from the rollups and the
 * raw events, which are ordered by voucher: the edges then cost a read of every voucher.
 */
function listFiguresSql(db: string, scope: Scope, range: MsRange, coverage: Coverage): string {
  const merged = (source: string) =>
    `SELECT voucher_id, currency, sumMerge(redeemed) - sumMerge(rolled_back) AS uses,
      sumMerge(redeemed_discount) - sumMerge(rolled_back_discount) AS discount,
      (sumMerge(redeemed_order_amount) - sumMerge(redeemed_discount)) - (sumMerge(rolled_back_order_amount) - sumMerge(rolled_back_discount)) AS revenue_impact
    FROM (${source}) GROUP BY voucher_id, currency`;
  const { dailyFrom, usageFrom = Infinity } = coverage;
  const parts = splitRange(range, dailyFrom);
  const rest = [...parts.rollup, ...parts.raw];
  if (rest.some((r) => r.startMs < usageFrom)) return merged(stateSource(db, scope, range, { keys: LIST_KEYS, dailyFrom }));
  const pieces: string[] = [];
  if (parts.daily) pieces.push(merged(stateSource(db, scope, parts.daily, { keys: LIST_KEYS, dailyFrom })));
  if (rest.length) {
    pieces.push(
      `SELECT voucher_id, currency, sum(toInt64(sign)) AS uses, sum(sign * discount_amount) AS discount,
      sum(sign * (order_amount - discount_amount)) AS revenue_impact
    FROM ${sqlIdentifier(db)}.voucher_usage_by_time WHERE ${scopeWhere(scope)} AND (${rest.map(eventTimeWhere).join(' OR ')})
    GROUP BY voucher_id, currency`,
    );
  }
  return pieces.join('\nUNION ALL\n');
}

/** The account's vouchers with additive headline figures for a period, per voucher and currency. */
export function voucherListSql(
  db: string,
  scope: Scope,
  range: MsRange,
  sort: 'uses' | 'discount' | 'revenue_impact',
  after: { value: string; voucherId: string; currency: string } | undefined,
  limit: number,
  coverage: Coverage = {},
): string {
  const d = sqlIdentifier(db);
  const sortExpr = { uses: 'f_uses', discount: 'f_discount', revenue_impact: 'f_revenue_impact' }[sort];
  // The cursor's value as the exact integer text it was (a double would round sums past 2^53).
  const afterValue = after ? sqlInt64(after.value) : '';
  const having = after
    ? ` HAVING ${sortExpr} < ${afterValue} OR (${sortExpr} = ${afterValue} AND (voucher_id > ${sqlString(after.voucherId)} OR (voucher_id = ${sqlString(after.voucherId)} AND currency > ${sqlString(after.currency)})))`
    : '';
  return `
SELECT voucher_id, currency, f_uses, f_discount, f_revenue_impact, code FROM (
  SELECT voucher_id, currency, sum(uses) AS f_uses, sum(discount) AS f_discount, sum(revenue_impact) AS f_revenue_impact
  FROM (${listFiguresSql(db, scope, range, coverage)})
  GROUP BY voucher_id, currency${having}
  ORDER BY ${sortExpr} DESC, voucher_id, currency
  LIMIT ${sqlNumber(limit)}
) AS l
ANY LEFT JOIN (
  SELECT voucher_id, argMaxMerge(code) AS code FROM ${d}.vouchers
  WHERE account_id = ${sqlString(scope.accountId)} AND livemode = ${scope.livemode ? 1 : 0} GROUP BY voucher_id
) USING voucher_id`;
}
