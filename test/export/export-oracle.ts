import type { EventSpec } from './export-helpers';

/**
 * The metric definitions of docs/metrics.md (issue 3), computed in plain TypeScript over the
 * same hand-built events: an oracle independent of the SQL under test.
 */
export function expectedBucket(events: EventSpec[]) {
  const redeemed = events.filter((e) => e.type === 'voucher.redeemed');
  const rolled = events.filter((e) => e.type === 'voucher.redemption_rolled_back');
  const sum = (list: EventSpec[], f: (d: any) => number) => list.reduce((a, e) => a + f(e.data), 0);
  const uses = redeemed.length - rolled.length;
  const discount = sum(redeemed, (d) => d.discount_amount) - sum(rolled, (d) => d.discount_amount);
  const orderIds = new Set(
    events
      .filter((e) => e.type === 'voucher.redeemed' || (e.type === 'voucher.validated' && (e.data.result ?? 'valid') === 'valid'))
      .map((e) => e.data.order_id),
  );
  const orders = orderIds.size;
  const netOrder = sum(redeemed, (d) => d.order_amount) - sum(rolled, (d) => d.order_amount);
  const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));
  return {
    uses,
    discount,
    orders,
    conversion_rate: orders === 0 ? 0 : Math.round((uses / orders) * 10_000) / 10_000,
    avg_order_value: uses <= 0 ? 0 : roundHalfAway(netOrder / uses),
    revenue_impact: sum(redeemed, (d) => d.order_amount - d.discount_amount) - sum(rolled, (d) => d.order_amount - d.discount_amount),
    unique_customers: new Set(redeemed.map((e) => e.data.customer_id)).size,
  };
}
