import {
  avgDailyUses,
  avgOrderValue,
  compareText,
  conversionRate,
  DEFAULT_TREND_METRICS,
  defaultCurrency,
  distinctCountsFor,
  growthRate,
  percentage,
  performanceFigures,
  roundDiv,
  ZERO_SUMS,
  type StatSums,
} from './metric-definitions';

const sums = (s: Partial<StatSums>): StatSums => ({ ...ZERO_SUMS, ...s });

describe('metric definitions', () => {
  it('rounds half away from zero, exactly', () => {
    expect(roundDiv(5n, 2n)).toBe(3n);
    expect(roundDiv(-5n, 2n)).toBe(-3n);
    expect(roundDiv(7n, 3n)).toBe(2n);
    expect(roundDiv(-7n, 3n)).toBe(-2n);
    expect(roundDiv(0n, 3n)).toBe(0n);
    expect(roundDiv(9_007_199_254_740_993n * 3n, 3n)).toBe(9_007_199_254_740_993n);
  });

  it('nets rollbacks out of uses, discount, order value and revenue', () => {
    const s = sums({
      redeemed: 3n,
      rolledBack: 1n,
      redeemedDiscount: 6_000n,
      rolledBackDiscount: 3_000n,
      redeemedOrderAmount: 60_000n,
      rolledBackOrderAmount: 30_000n,
      orders: 4n,
      customers: 2n,
    });
    expect(performanceFigures(s)).toEqual({
      total_uses: 2,
      total_discount: 3_000,
      conversion_rate: 0.5,
      avg_order_value: 15_000,
      revenue_impact: 27_000,
      unique_customers: 2,
      repeat_usage: 0,
    });
  });

  it('conversion rate to 4 decimals and 0 without orders; average order value 0 when uses ≤ 0', () => {
    expect(conversionRate(sums({ redeemed: 2n, orders: 3n }))).toBe(0.6667);
    expect(conversionRate(sums({ redeemed: 1n, orders: 8n }))).toBe(0.125);
    expect(conversionRate(sums({ redeemed: 2n }))).toBe(0);
    expect(avgOrderValue(sums({ redeemed: 2n, redeemedOrderAmount: 10_001n }))).toBe(5_001);
    expect(avgOrderValue(sums({ redeemed: 1n, rolledBack: 1n, redeemedOrderAmount: 5n }))).toBe(0);
    expect(avgOrderValue(sums({ redeemed: 1n, rolledBack: 2n, redeemedOrderAmount: 5n }))).toBe(0);
  });

  it('repeat usage never goes negative', () => {
    expect(performanceFigures(sums({ redeemed: 5n, customers: 2n })).repeat_usage).toBe(3);
    expect(performanceFigures(sums({ redeemed: 2n, rolledBack: 2n, customers: 2n })).repeat_usage).toBe(0);
  });

  it('summary figures: daily average, growth (null without a base), percentages', () => {
    expect(avgDailyUses(10n, 3)).toBe(3.33);
    expect(avgDailyUses(0n, 3)).toBe(0);
    expect(growthRate(15n, 10n)).toBe(0.5);
    expect(growthRate(0n, 3n)).toBe(-1);
    expect(growthRate(1n, 3n)).toBe(-0.6667);
    expect(growthRate(5n, 0n)).toBeNull();
    expect(percentage(85n, 120n)).toBe(70.8);
    expect(percentage(35n, 120n)).toBe(29.2);
    expect(percentage(1n, 8n)).toBe(12.5);
    expect(percentage(0n, 0n)).toBe(0);
  });

  it('trend figures ask only for the distinct counts they show', () => {
    expect(distinctCountsFor(['uses', 'discount', 'avg_order_value', 'revenue_impact'])).toEqual([]);
    expect(distinctCountsFor(DEFAULT_TREND_METRICS)).toEqual(['orders']);
    expect(distinctCountsFor(['unique_customers', 'conversion_rate', 'orders'])).toEqual(['customers', 'orders']);
  });

  it('default currency: most redemptions, ties alphabetical, else first seen alphabetically', () => {
    expect(defaultCurrency([{ currency: 'USD', redeemed: 3n }, { currency: 'EUR', redeemed: 4n }], ['USD', 'EUR'])).toBe('EUR');
    expect(defaultCurrency([{ currency: 'USD', redeemed: 4n }, { currency: 'EUR', redeemed: 4n }], ['USD', 'EUR'])).toBe('EUR');
    expect(defaultCurrency([], ['USD', 'CHF'])).toBe('CHF');
  });

  it('ties are ordered by code point, whatever the process locale', () => {
    expect(['basic', 'VIP', 'Premium', 'éco', 'Zeta'].sort(compareText)).toEqual(['Premium', 'VIP', 'Zeta', 'basic', 'éco']);
  });
});
