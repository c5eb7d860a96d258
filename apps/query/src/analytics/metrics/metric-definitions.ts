/**
 * The metric definitions of docs/metrics.md, in one place. Storage returns sums and distinct
 * counts; every derived figure (rates, averages, net amounts, rounding) is computed here.
 * Arithmetic is BigInt so sums of minor units and half-away-from-zero rounding stay exact.
 */

/** Sums over one scope (account, mode, voucher, currency, period, optionally one bucket or dimension value). */
export interface StatSums {
  redeemed: bigint;
  rolledBack: bigint;
  redeemedDiscount: bigint;
  rolledBackDiscount: bigint;
  redeemedOrderAmount: bigint;
  rolledBackOrderAmount: bigint;
  /** Distinct order ids among valid validations and redemptions. */
  orders: bigint;
  /** Distinct customers among redemptions. */
  customers: bigint;
}

export const ZERO_SUMS: StatSums = {
  redeemed: 0n,
  rolledBack: 0n,
  redeemedDiscount: 0n,
  rolledBackDiscount: 0n,
  redeemedOrderAmount: 0n,
  rolledBackOrderAmount: 0n,
  orders: 0n,
  customers: 0n,
};

/** n / d rounded half away from zero to an integer (d ≠ 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  const negative = n < 0n !== d < 0n && n !== 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (2n * an + ad) / (2n * ad);
  return negative ? -q : q;
}

/** n / d rounded half away from zero to `decimals` places, as a JSON number. */
export function ratio(n: bigint, d: bigint, decimals: number): number {
  const scale = 10n ** BigInt(decimals);
  return Number(roundDiv(n * scale, d)) / Number(scale);
}

export const totalUses = (s: StatSums): bigint => s.redeemed - s.rolledBack;
export const totalDiscount = (s: StatSums): bigint => s.redeemedDiscount - s.rolledBackDiscount;
export const netOrderAmount = (s: StatSums): bigint => s.redeemedOrderAmount - s.rolledBackOrderAmount;
export const revenueImpact = (s: StatSums): bigint =>
  s.redeemedOrderAmount - s.redeemedDiscount - (s.rolledBackOrderAmount - s.rolledBackDiscount);

/** total_uses / orders, 4 decimals; 0 without orders. */
export function conversionRate(s: StatSums): number {
  return s.orders === 0n ? 0 : ratio(totalUses(s), s.orders, 4);
}

/** Net order amount per net use, rounded; 0 when total_uses ≤ 0. */
export function avgOrderValue(s: StatSums): number {
  const uses = totalUses(s);
  return uses <= 0n ? 0 : Number(roundDiv(netOrderAmount(s), uses));
}

export function repeatUsage(s: StatSums): number {
  const extra = totalUses(s) - s.customers;
  return extra > 0n ? Number(extra) : 0;
}

export interface PerformanceFigures {
  total_uses: number;
  total_discount: number;
  conversion_rate: number;
  avg_order_value: number;
  revenue_impact: number;
  unique_customers: number;
  repeat_usage: number;
}

export function performanceFigures(s: StatSums): PerformanceFigures {
  return {
    total_uses: Number(totalUses(s)),
    total_discount: Number(totalDiscount(s)),
    conversion_rate: conversionRate(s),
    avg_order_value: avgOrderValue(s),
    revenue_impact: Number(revenueImpact(s)),
    unique_customers: Number(s.customers),
    repeat_usage: repeatUsage(s),
  };
}

/** Every per-bucket figure a trends request may ask for (`date` is always present). */
export const TREND_METRICS = ['uses', 'discount', 'orders', 'conversion_rate', 'avg_order_value', 'revenue_impact', 'unique_customers'] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];
/** The product documentation's example shows these when `metrics` is not given. */
export const DEFAULT_TREND_METRICS: TrendMetric[] = ['uses', 'discount', 'orders', 'conversion_rate', 'avg_order_value'];
/** The distinct counts (the expensive part of a query) behind each trend figure that needs one. */
const TREND_DISTINCT_COUNTS: Partial<Record<TrendMetric, 'orders' | 'customers'>> = {
  orders: 'orders',
  conversion_rate: 'orders',
  unique_customers: 'customers',
};

/** The distinct counts the given trend figures need, each once. */
export function distinctCountsFor(metrics: readonly TrendMetric[]): Array<'orders' | 'customers'> {
  return [...new Set(metrics.flatMap((m) => TREND_DISTINCT_COUNTS[m] ?? []))];
}

export function trendFigure(metric: TrendMetric, s: StatSums): number {
  switch (metric) {
    case 'uses':
      return Number(totalUses(s));
    case 'discount':
      return Number(totalDiscount(s));
    case 'orders':
      return Number(s.orders);
    case 'conversion_rate':
      return conversionRate(s);
    case 'avg_order_value':
      return avgOrderValue(s);
    case 'revenue_impact':
      return Number(revenueImpact(s));
    case 'unique_customers':
      return Number(s.customers);
  }
}

/** total_period_uses / calendar days touched, 2 decimals. */
export function avgDailyUses(uses: bigint, days: number): number {
  return ratio(uses, BigInt(days), 2);
}

/** (current − previous) / previous, 4 decimals; null when the previous period has no uses. */
export function growthRate(current: bigint, previous: bigint): number | null {
  return previous === 0n ? null : ratio(current - previous, previous, 4);
}

/** count / total × 100, 1 decimal; 0 for an empty total. */
export function percentage(count: bigint, total: bigint): number {
  return total === 0n ? 0 : ratio(count * 100n, total, 1);
}

/**
 * Orders text by code point, as ClickHouse and the voucher list do. `localeCompare` would follow
 * the process locale ("basic" before "Premium" in one, after in another), so replicas with
 * different LANG settings could order the same ties differently.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The default currency: most redemptions, ties alphabetical; otherwise the first currency seen alphabetically. */
export function defaultCurrency(redemptionsByCurrency: Array<{ currency: string; redeemed: bigint }>, currenciesSeen: string[]): string | undefined {
  const ranked = [...redemptionsByCurrency]
    .filter((r) => r.redeemed > 0n)
    .sort((a, b) => (a.redeemed === b.redeemed ? compareText(a.currency, b.currency) : a.redeemed > b.redeemed ? -1 : 1));
  return ranked[0]?.currency ?? [...currenciesSeen].sort()[0];
}
