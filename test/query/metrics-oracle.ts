import type { VoucherEvent } from '@app/contracts';
import type { PerformanceFigures } from '../../apps/query/src/analytics/metrics/metric-definitions';

/**
 * docs/metrics.md written a second time, as plainly as possible: every figure computed in memory
 * from the raw events, with none of the service's machinery (no rollups, no SQL, no stitching of
 * daily, 15-minute and raw edges, its own time-zone arithmetic on Intl). The oracle e2e test
 * compares the service's answers with these on random events and periods.
 */

const DAY = 86_400_000;

export interface OracleRequest {
  accountId: string;
  livemode: boolean;
  voucherId: string;
  timezone: string;
  /** Exact instants: [startMs, endMs) (end exclusive, as a resolved inclusive end + 1 ms). */
  startMs: number;
  endMs: number;
  currency?: string;
}

interface Row {
  type: VoucherEvent['type'];
  id: string;
  ms: number;
  account: string;
  livemode: boolean;
  voucher: string;
  code: string;
  customer: string;
  order: string;
  amount: bigint;
  discount: bigint;
  currency: string;
  segment: string;
  region: string;
  result: string;
  reason: string;
}

export function toRows(events: VoucherEvent[]): Row[] {
  return events.map((e) => {
    const d = e.data as unknown as Record<string, unknown>;
    return {
      type: e.type,
      id: e.id,
      ms: Date.parse(e.time),
      account: String(d.account_id),
      livemode: Boolean(d.livemode),
      voucher: String(d.voucher_id ?? ''),
      code: String(d.voucher_code ?? ''),
      customer: String(d.customer_id),
      order: String(d.order_id),
      amount: BigInt(Number(d.order_amount ?? 0)),
      discount: BigInt(Number(d.discount_amount ?? 0)),
      currency: String(d.currency),
      segment: String(d.customer_segment || 'unknown'),
      region: String(d.customer_region || 'unknown'),
      result: String(d.result ?? ''),
      reason: String(d.reason ?? ''),
    };
  });
}

// ---------- numbers ----------

/** num / den rounded half away from zero to `decimals`, exactly. */
export function ratio(num: bigint, den: bigint, decimals: number): number {
  const scale = 10n ** BigInt(decimals);
  const n = num * scale;
  const negative = n < 0n !== den < 0n;
  const a = n < 0n ? -n : n;
  const b = den < 0n ? -den : den;
  let q = a / b;
  if ((a % b) * 2n >= b) q += 1n;
  return Number(negative ? -q : q) / Number(scale);
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The response's field names (a type only: the oracle shares no code with the service). */
interface Figures extends PerformanceFigures {
  orders: number;
}

/** Σ f over redeemed events − Σ f over rolled-back ones. */
function net(rows: Row[], f: (r: Row) => bigint): bigint {
  let total = 0n;
  for (const r of rows) {
    if (r.type === 'voucher.redeemed') total += f(r);
    else if (r.type === 'voucher.redemption_rolled_back') total -= f(r);
  }
  return total;
}

function figures(rows: Row[]): Figures {
  const redeemed = rows.filter((r) => r.type === 'voucher.redeemed');
  const uses = net(rows, () => 1n);
  const orders = BigInt(new Set(rows.filter((r) => r.type === 'voucher.redeemed' || (r.type === 'voucher.validated' && r.result === 'valid')).map((r) => r.order)).size);
  const netOrder = net(rows, (r) => r.amount);
  const customers = new Set(redeemed.map((r) => r.customer)).size;
  return {
    total_uses: Number(uses),
    total_discount: Number(net(rows, (r) => r.discount)),
    conversion_rate: orders === 0n ? 0 : ratio(uses, orders, 4),
    avg_order_value: uses <= 0n ? 0 : ratio(netOrder, uses, 0),
    revenue_impact: Number(net(rows, (r) => r.amount - r.discount)),
    unique_customers: customers,
    repeat_usage: Math.max(0, Number(uses) - customers),
    orders: Number(orders),
  };
}

// ---------- time ----------

const partsFormat = new Map<string, Intl.DateTimeFormat>();
function wallClock(ms: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  let f = partsFormat.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partsFormat.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: +p.year, m: +p.month, d: +p.day, h: +p.hour, mi: +p.minute, s: +p.second };
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, tz: string): string {
  const w = wallClock(ms, tz);
  return `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** The instant a local date starts in a zone (00:00 there; no zone here changes time at midnight). */
export function localMidnight(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d);
  let t = wall;
  for (let i = 0; i < 3; i++) {
    const w = wallClock(t, tz);
    const offset = Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
    t = wall - offset;
  }
  return t;
}

export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + n * DAY).toISOString().slice(0, 10);
}

function bucketOf(date: string, interval: 'day' | 'week' | 'month'): string {
  if (interval === 'day') return date;
  if (interval === 'month') return `${date.slice(0, 7)}-01`;
  const [y, m, d] = date.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

function nextBucket(bucket: string, interval: 'day' | 'week' | 'month'): string {
  if (interval === 'day') return addDays(bucket, 1);
  if (interval === 'week') return addDays(bucket, 7);
  const [y, m] = bucket.split('-').map(Number);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

// ---------- the answers ----------

export class MetricsOracle {
  private readonly rows: Row[];

  constructor(events: VoucherEvent[]) {
    this.rows = toRows(events);
  }

  private tenant(req: OracleRequest): Row[] {
    return this.rows.filter((r) => r.account === req.accountId && r.livemode === req.livemode);
  }

  /** The voucher's code and the currency the request resolves to. */
  private voucher(req: OracleRequest): { code: string; currency: string } {
    const mine = this.tenant(req).filter((r) => r.voucher === req.voucherId);
    const latest = [...mine].filter((r) => r.code !== '').sort((a, b) => b.ms - a.ms)[0];
    if (req.currency) return { code: latest?.code ?? '', currency: req.currency };
    const counts = new Map<string, number>();
    for (const r of mine) counts.set(r.currency, (counts.get(r.currency) ?? 0) + (r.type === 'voucher.redeemed' ? 1 : 0));
    const currency = [...counts].sort((a, b) => b[1] - a[1] || text(a[0], b[0]))[0][0];
    return { code: latest?.code ?? '', currency };
  }

  private scoped(req: OracleRequest, currency: string, range = { startMs: req.startMs, endMs: req.endMs }): Row[] {
    return this.tenant(req).filter((r) => r.voucher === req.voucherId && r.currency === currency && r.ms >= range.startMs && r.ms < range.endMs);
  }

  private period(req: OracleRequest) {
    return { start: isoSeconds(req.startMs), end: isoSeconds(req.endMs - 1) };
  }

  performance(req: OracleRequest) {
    const { code, currency } = this.voucher(req);
    const rows = this.scoped(req, currency);
    const { orders: _orders, ...performance } = figures(rows);
    const redeemed = rows.filter((r) => r.type === 'voucher.redeemed').sort((a, b) => a.ms - b.ms);
    const invalid = rows.filter((r) => r.type === 'voucher.validated' && r.result === 'invalid');
    const reasons = new Map<string, number>();
    for (const r of invalid) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    const by = (key: 'segment' | 'region') =>
      [...new Set(rows.map((r) => r[key]))]
        .map((value) => ({ name: value, figures: figures(rows.filter((r) => r[key] === value)) }))
        // Listed when it carries a redemption, a rollback or an order (docs/metrics.md).
        .filter(({ name }) => rows.some((r) => r[key] === name && r.type !== 'order.completed' && !(r.type === 'voucher.validated' && r.result !== 'valid')))
        .sort((a, b) => b.figures.total_uses - a.figures.total_uses || text(a.name, b.name))
        .map(({ name, figures: f }) => ({ [key]: name, ...f }));
    return {
      voucher_id: req.voucherId,
      code,
      performance,
      time_period: this.period(req),
      currency,
      details: {
        validations: {
          valid: rows.filter((r) => r.type === 'voucher.validated' && r.result === 'valid').length,
          invalid: invalid.length,
          failure_reasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || text(a.reason, b.reason)),
        },
        rollbacks: rows.filter((r) => r.type === 'voucher.redemption_rolled_back').length,
        first_used_at: redeemed.length ? isoSeconds(redeemed[0].ms) : null,
        last_used_at: redeemed.length ? isoSeconds(redeemed[redeemed.length - 1].ms) : null,
        by_segment: by('segment'),
        by_region: by('region'),
      },
    };
  }

  trends(req: OracleRequest, interval: 'day' | 'week' | 'month') {
    const { code, currency } = this.voucher(req);
    const rows = this.scoped(req, currency);
    const first = bucketOf(localDate(req.startMs, req.timezone), interval);
    const last = bucketOf(localDate(req.endMs - 1, req.timezone), interval);
    const trends = [];
    for (let b = first; b <= last; b = nextBucket(b, interval)) {
      const f = figures(rows.filter((r) => bucketOf(localDate(r.ms, req.timezone), interval) === b));
      trends.push({
        date: b,
        uses: f.total_uses,
        discount: f.total_discount,
        orders: f.orders,
        conversion_rate: f.conversion_rate,
        avg_order_value: f.avg_order_value,
        revenue_impact: f.revenue_impact,
        unique_customers: f.unique_customers,
      });
    }
    const total = figures(rows);
    const length = req.endMs - req.startMs;
    const previous = figures(this.scoped(req, currency, { startMs: req.startMs - length, endMs: req.startMs })).total_uses;
    let days = 0;
    for (let d = localDate(req.startMs, req.timezone); d <= localDate(req.endMs - 1, req.timezone); d = addDays(d, 1)) days++;
    return {
      voucher_id: req.voucherId,
      code,
      interval,
      trends,
      summary: {
        total_period_uses: total.total_uses,
        total_period_discount: total.total_discount,
        avg_daily_uses: ratio(BigInt(total.total_uses), BigInt(days), 2),
        growth_rate: previous === 0 ? null : ratio(BigInt(total.total_uses - previous), BigInt(previous), 4),
      },
      time_period: this.period(req),
      currency,
    };
  }

  customers(req: OracleRequest) {
    const { code, currency } = this.voucher(req);
    const rows = this.scoped(req, currency);
    const redeemed = rows.filter((r) => r.type === 'voucher.redeemed');
    const history = this.tenant(req).filter((r) => r.type === 'voucher.redeemed' || r.type === 'order.completed');
    const byCustomer = new Map<string, Row[]>();
    for (const r of redeemed) byCustomer.set(r.customer, [...(byCustomer.get(r.customer) ?? []), r]);

    let fresh = 0;
    let spend = 0n;
    const segmentOf = new Map<string, string>();
    const regionOf = new Map<string, string>();
    for (const [customer, mine] of byCustomer) {
      const latest = [...mine].sort((a, b) => b.ms - a.ms || text(b.id, a.id))[0];
      segmentOf.set(customer, latest.segment);
      regionOf.set(customer, latest.region);
      const sightings = history.filter((r) => r.customer === customer);
      const firstOrder = [...sightings].sort((a, b) => a.ms - b.ms || text(a.order, b.order))[0].order;
      if (mine.some((r) => r.order === firstOrder)) fresh++;
      // Each order once, with its earliest sighting (ties: smaller amount, then currency).
      const earliest = new Map<string, Row>();
      for (const s of [...sightings].sort((a, b) => a.ms - b.ms || (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0) || text(a.currency, b.currency))) {
        if (!earliest.has(s.order)) earliest.set(s.order, s);
      }
      for (const s of earliest.values()) if (s.ms < req.endMs && s.currency === currency) spend += s.amount;
    }
    const total = BigInt(byCustomer.size);
    const countBy = (of: Map<string, string>) => {
      const counts = new Map<string, number>();
      for (const v of of.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
      return [...counts].sort((a, b) => b[1] - a[1] || text(a[0], b[0]));
    };
    return {
      voucher_id: req.voucherId,
      code,
      customer_insights: {
        total_customers: byCustomer.size,
        new_customers: fresh,
        returning_customers: byCustomer.size - fresh,
        avg_customer_value: total === 0n ? 0 : ratio(net(rows, (r) => r.amount), total, 0),
        customer_lifetime_value: total === 0n ? 0 : ratio(spend, total, 0),
        top_customer_segments: countBy(segmentOf)
          .slice(0, 10)
          .map(([segment, count]) => {
            const f = figures(rows.filter((r) => r.segment === segment));
            return { segment, count, avg_order_value: f.avg_order_value, conversion_rate: f.conversion_rate };
          }),
        geographic_distribution: countBy(regionOf).map(([region, count]) => ({ region, count, percentage: ratio(BigInt(count) * 100n, total, 1) })),
      },
      time_period: this.period(req),
      currency,
    };
  }

  /** The voucher list's rows (every voucher and currency with an event in the period), sorted by `sort`. */
  voucherList(req: Omit<OracleRequest, 'voucherId' | 'currency'>, sort: 'uses' | 'discount' | 'revenue_impact' = 'uses') {
    const field = ({ uses: 'total_uses', discount: 'total_discount', revenue_impact: 'revenue_impact' } as const)[sort];
    const inPeriod = this.tenant(req as OracleRequest).filter((r) => r.voucher !== '' && r.ms >= req.startMs && r.ms < req.endMs);
    const keys = [...new Set(inPeriod.map((r) => `${r.voucher}\u0000${r.currency}`))];
    return keys
      .map((k) => {
        const [voucher, currency] = k.split('\u0000');
        const f = figures(inPeriod.filter((r) => r.voucher === voucher && r.currency === currency));
        const code = this.voucher({ ...(req as OracleRequest), voucherId: voucher, currency }).code;
        return { voucher_id: voucher, code, currency, total_uses: f.total_uses, total_discount: f.total_discount, revenue_impact: f.revenue_impact };
      })
      .sort((a, b) => b[field] - a[field] || text(a.voucher_id, b.voucher_id) || text(a.currency, b.currency));
  }
}
