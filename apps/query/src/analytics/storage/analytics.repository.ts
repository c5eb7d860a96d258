import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ClickHouseReader } from '../../common/clickhouse/clickhouse-reader';
import { ZERO_SUMS, type StatSums } from '../metrics/metric-definitions';
import {
  CURRENCY_KEY,
  coverageOf,
  coverageSql,
  customerInsightsSql,
  DISTINCT_COUNTS,
  groupColumns,
  mergedStatsQueries,
  PREVIOUS_PERIOD,
  trendStatsOptions,
  voucherListSql,
  voucherScopeSql,
  type Coverage,
  type DistinctCount,
  type MergedStatsOptions,
  type MsRange,
  type Scope,
} from './stats-sql';

type Row = Record<string, string | number | string[]>;

const big = (v: unknown): bigint => (v === undefined || v === null || v === '' ? 0n : BigInt(v as string));

function sums(row: Row): StatSums {
  return {
    redeemed: big(row.n_redeemed),
    rolledBack: big(row.n_rolled_back),
    redeemedDiscount: big(row.n_redeemed_discount),
    rolledBackDiscount: big(row.n_rolled_back_discount),
    redeemedOrderAmount: big(row.n_redeemed_order_amount),
    rolledBackOrderAmount: big(row.n_rolled_back_order_amount),
    orders: big(row.n_orders),
    customers: big(row.n_customers),
  };
}

function mainStats(row: Row): MainStats {
  return {
    sums: sums(row),
    validationsValid: big(row.n_validations_valid),
    validationsInvalid: big(row.n_validations_invalid),
    firstUsedS: Number(row.first_used_s ?? 0),
    lastUsedS: Number(row.last_used_s ?? 0),
  };
}

export const EMPTY_MAIN_STATS: MainStats = { sums: ZERO_SUMS, validationsValid: 0n, validationsInvalid: 0n, firstUsedS: 0, lastUsedS: 0 };

export interface VoucherMeta {
  exists: boolean;
  code: string;
  currencies: string[];
  /** Redemptions per currency, all time; asked for only when the default currency is chosen. */
  redemptions: Array<{ currency: string; redeemed: bigint }>;
}

export interface MainStats {
  sums: StatSums;
  validationsValid: bigint;
  validationsInvalid: bigint;
  firstUsedS: number;
  lastUsedS: number;
}

export interface DimensionStats {
  dimension: 'segment' | 'region' | 'failure_reason';
  value: string;
  sums: StatSums;
  validationsInvalid: bigint;
}

export interface CustomerGroup {
  segment: string;
  region: string;
  customers: bigint;
  newCustomers: bigint;
  spend: bigint;
}

export interface VoucherListRow {
  voucherId: string;
  currency: string;
  code: string;
  uses: bigint;
  discount: bigint;
  revenueImpact: bigint;
}

export type FullScope = Required<Scope>;

const COVERAGE_REFRESH_MS = 60_000;

/** Runs the analytics SQL (built in stats-sql.ts) and returns typed sums; no metric logic here. */
@Injectable()
export class AnalyticsRepository implements OnModuleInit {
  private coverage?: { tables: Required<Coverage>; readAt: number };
  private coverageRead?: Promise<Required<Coverage>>;

  constructor(private readonly clickhouse: ClickHouseReader) {}

  /** Read at start-up, so the first requests need not wait for it (the voucher lookup's SQL depends on it). */
  onModuleInit(): void {
    void this.tables();
  }

  private get db(): string {
    return this.clickhouse.database;
  }

  /**
   * From when the daily rollup and voucher_usage_by_time hold every event; Infinity (do not use
   * them) until known. It only changes when a migration adds such a table, so it is re-read once a
   * minute in the background: only the very first request waits for it.
   */
  private async tables(): Promise<Required<Coverage>> {
    const stale = !this.coverage || Date.now() - this.coverage.readAt >= COVERAGE_REFRESH_MS;
    if (stale && !this.coverageRead) this.coverageRead = this.readCoverage().finally(() => (this.coverageRead = undefined));
    return this.coverage ? this.coverage.tables : (this.coverageRead as Promise<Required<Coverage>>);
  }

  private async dailyFrom(): Promise<number> {
    return (await this.tables()).dailyFrom;
  }

  private async readCoverage(): Promise<Required<Coverage>> {
    let tables = coverageOf([]);
    try {
      tables = coverageOf(await this.clickhouse.rows<Row>('rollup_coverage', coverageSql(this.db)));
    } catch {
      // Not migrated yet, or ClickHouse away (the figures' own queries will report that).
    }
    this.coverage = { tables, readAt: Date.now() };
    return tables;
  }

  /** Runs the statements of mergedStatsQueries at once and joins their rows on the group keys. */
  private async mergedStats(name: string, scope: Scope, range: MsRange, options: MergedStatsOptions): Promise<Row[]> {
    const statementNames = [name, ...options.distinct.map((count) => `${name}_${count}`)];
    const statements = mergedStatsQueries(this.db, scope, range, options);
    const results = await Promise.all(statements.map((sql, i) => this.clickhouse.rows<Row>(statementNames[i], sql)));
    if (results.length === 1) return results[0];
    const groupBy = groupColumns(options);
    const byKey = new Map<string, Row>();
    for (const rows of results) {
      for (const row of rows) {
        const key = JSON.stringify(groupBy.map((column) => row[column]));
        byKey.set(key, { ...byKey.get(key), ...row });
      }
    }
    return [...byKey.values()];
  }

  /**
   * Does the voucher exist; its code and currencies; with `chooseCurrency`, also its redemptions
   * per currency over its whole history (what the default currency is chosen from).
   */
  async voucherMeta(scope: Pick<FullScope, 'accountId' | 'livemode' | 'voucherId'>, chooseCurrency: boolean): Promise<VoucherMeta> {
    const currencyChoice = chooseCurrency ? { dailyFrom: await this.dailyFrom() } : undefined;
    const [row] = await this.clickhouse.rows<Row>('voucher_meta', voucherScopeSql(this.db, scope, currencyChoice));
    return {
      exists: big(row?.n) > 0n,
      code: String(row?.code ?? ''),
      currencies: (row?.currencies as string[]) ?? [],
      redemptions: ((row?.redemptions ?? []) as unknown as Array<[string, string]>).map(([currency, n]) => ({ currency, redeemed: big(n) })),
    };
  }

  /**
   * Whole-period figures per currency (only `scope.currency` when given). Grouping by currency lets
   * the figures be fetched in parallel with the default-currency choice instead of after it.
   */
  async mainStatsByCurrency(scope: Scope, range: MsRange): Promise<Map<string, MainStats>> {
    const rows = await this.mergedStats('main_stats', scope, range, { keys: [CURRENCY_KEY], distinct: DISTINCT_COUNTS, main: true, dailyFrom: await this.dailyFrom() });
    return new Map(rows.map((row) => [String(row.currency), mainStats(row)]));
  }

  async dimensionStatsByCurrency(scope: Scope, range: MsRange): Promise<Map<string, DimensionStats[]>> {
    const rows = await this.mergedStats('dimension_stats', scope, range, { keys: [CURRENCY_KEY], dimensions: true, distinct: DISTINCT_COUNTS });
    const byCurrency = new Map<string, DimensionStats[]>();
    for (const r of rows) {
      const list = byCurrency.get(String(r.currency)) ?? [];
      list.push({ dimension: r.dimension as DimensionStats['dimension'], value: String(r.value), sums: sums(r), validationsInvalid: big(r.n_validations_invalid) });
      byCurrency.set(String(r.currency), list);
    }
    return byCurrency;
  }

  /**
   * Figures per currency and bucket (first day, YYYY-MM-DD; empty buckets are absent), and the
   * preceding period's additive sums per currency (growth rates), from the same statements.
   */
  async bucketStatsByCurrency(
    scope: Scope,
    range: MsRange,
    bucketOf: (column: string) => string,
    options: { distinct: readonly DistinctCount[]; utcDays: boolean; previous: MsRange },
  ): Promise<{ buckets: Map<string, Map<string, StatSums>>; previous: Map<string, StatSums> }> {
    const rows = await this.mergedStats('bucket_stats', scope, range, trendStatsOptions(bucketOf, { ...options, dailyFrom: await this.dailyFrom() }));
    const buckets = new Map<string, Map<string, StatSums>>();
    const previous = new Map<string, StatSums>();
    for (const r of rows) {
      if (r.day === PREVIOUS_PERIOD) {
        previous.set(String(r.currency), sums(r));
        continue;
      }
      const days = buckets.get(String(r.currency)) ?? new Map<string, StatSums>();
      days.set(String(r.day), sums(r));
      buckets.set(String(r.currency), days);
    }
    return { buckets, previous };
  }

  /** Sums and distinct orders per segment of the events themselves (customer insights' segments). */
  async segmentStats(scope: FullScope, range: MsRange): Promise<DimensionStats[]> {
    const rows = await this.mergedStats('segment_stats', scope, range, { keys: [], dimensions: 'segment', distinct: ['orders'] });
    return rows.map((r) => ({
      dimension: r.dimension as DimensionStats['dimension'],
      value: String(r.value),
      sums: sums(r),
      validationsInvalid: big(r.n_validations_invalid),
    }));
  }

  /** Additive sums only (no distinct counts) in the scope's currency. */
  async additiveStats(scope: FullScope, range: MsRange): Promise<StatSums> {
    const [row] = await this.mergedStats('additive_stats', scope, range, { keys: [], distinct: [], dailyFrom: await this.dailyFrom() });
    return row ? sums(row) : ZERO_SUMS;
  }

  async customerGroups(scope: FullScope, range: MsRange): Promise<CustomerGroup[]> {
    const rows = await this.clickhouse.rows<Row>('customer_groups', customerInsightsSql(this.db, scope, range));
    return rows.map((r) => ({
      segment: String(r.seg),
      region: String(r.reg),
      customers: big(r.n_customers),
      newCustomers: big(r.n_new),
      spend: big(r.n_spend),
    }));
  }

  async voucherList(
    scope: Scope,
    range: MsRange,
    sort: 'uses' | 'discount' | 'revenue_impact',
    after: { value: string; voucherId: string; currency: string } | undefined,
    limit: number,
  ): Promise<VoucherListRow[]> {
    const rows = await this.clickhouse.rows<Row>('voucher_list', voucherListSql(this.db, scope, range, sort, after, limit, await this.tables()));
    return rows.map((r) => ({
      voucherId: String(r.voucher_id),
      currency: String(r.currency),
      code: String(r.code ?? ''),
      uses: big(r.f_uses),
      discount: big(r.f_discount),
      revenueImpact: big(r.f_revenue_impact),
    }));
  }
}
