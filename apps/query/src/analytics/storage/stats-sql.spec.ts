import { mergedStatsQueries, periodsStateSource, splitRange, stateSource, voucherListSql, type MsRange } from './stats-sql';

const t = (iso: string) => Date.parse(iso);

describe('splitRange', () => {
  it('aligned periods come from the rollup alone', () => {
    expect(splitRange({ startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-02T00:00:00Z') })).toEqual({
      rollup: [{ startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-02T00:00:00Z') }],
      raw: [],
    });
  });

  it('unaligned edges are read raw, to the millisecond', () => {
    expect(splitRange({ startMs: t('2024-03-01T00:07:00.500Z'), endMs: t('2024-03-01T10:00:00.001Z') })).toEqual({
      rollup: [{ startMs: t('2024-03-01T00:15:00Z'), endMs: t('2024-03-01T10:00:00Z') }],
      raw: [
        { startMs: t('2024-03-01T00:07:00.500Z'), endMs: t('2024-03-01T00:15:00Z') },
        { startMs: t('2024-03-01T10:00:00Z'), endMs: t('2024-03-01T10:00:00.001Z') },
      ],
    });
  });

  it('a period inside one bucket is read raw entirely', () => {
    const r = { startMs: t('2024-03-01T00:01:00Z'), endMs: t('2024-03-01T00:14:00Z') };
    expect(splitRange(r)).toEqual({ rollup: [], raw: [r] });
  });

  it('whole UTC days come from the daily rollup, partial days from 15-minute buckets and raw edges', () => {
    const r = { startMs: t('2024-03-01T05:07:00Z'), endMs: t('2024-03-05T10:00:00.001Z') };
    expect(splitRange(r, 0)).toEqual({
      daily: { startMs: t('2024-03-02T00:00:00Z'), endMs: t('2024-03-05T00:00:00Z') },
      rollup: [
        { startMs: t('2024-03-01T05:15:00Z'), endMs: t('2024-03-02T00:00:00Z') },
        { startMs: t('2024-03-05T00:00:00Z'), endMs: t('2024-03-05T10:00:00Z') },
      ],
      raw: [
        { startMs: t('2024-03-01T05:07:00Z'), endMs: t('2024-03-01T05:15:00Z') },
        { startMs: t('2024-03-05T10:00:00Z'), endMs: t('2024-03-05T10:00:00.001Z') },
      ],
    });
  });

  it('days before the daily rollup is complete come from the 15-minute rollup', () => {
    const r = { startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-10T00:00:00Z') };
    expect(splitRange(r, t('2024-03-04T00:00:00Z'))).toEqual({
      daily: { startMs: t('2024-03-04T00:00:00Z'), endMs: t('2024-03-10T00:00:00Z') },
      rollup: [{ startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-04T00:00:00Z') }],
      raw: [],
    });
    expect(splitRange(r, t('2024-03-10T00:00:00Z'))).toEqual({ rollup: [r], raw: [] });
    expect(splitRange(r)).toEqual({ rollup: [r], raw: [] });
  });

  it('covers every period exactly once, whatever the edges and coverage', () => {
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 2000; i++) {
      const startMs = t('2024-01-01T00:00:00Z') + (next() % (40 * 86_400_000));
      const r = { startMs, endMs: startMs + 1 + (next() % (20 * 86_400_000)) };
      const dailyFrom = next() % 3 === 0 ? Infinity : t('2024-01-01T00:00:00Z') + (next() % 60) * 86_400_000;
      const parts = splitRange(r, dailyFrom);
      const pieces: MsRange[] = [...(parts.daily ? [parts.daily] : []), ...parts.rollup, ...parts.raw].sort((a, b) => a.startMs - b.startMs);
      expect(pieces[0].startMs).toBe(r.startMs);
      expect(pieces.at(-1)!.endMs).toBe(r.endMs);
      for (let j = 1; j < pieces.length; j++) expect(pieces[j].startMs).toBe(pieces[j - 1].endMs);
      for (const p of pieces) expect(p.endMs).toBeGreaterThan(p.startMs);
      if (parts.daily) {
        expect(parts.daily.startMs % 86_400_000).toBe(0);
        expect(parts.daily.endMs % 86_400_000).toBe(0);
        expect(parts.daily.startMs).toBeGreaterThanOrEqual(dailyFrom);
      }
      for (const q of parts.rollup) expect([q.startMs % 900_000, q.endMs % 900_000]).toEqual([0, 0]);
    }
  });
});

describe('mergedStatsQueries', () => {
  const scope = { accountId: 'a', livemode: false, voucherId: 'v' };
  const days = { startMs: t('2024-03-01T00:00:00Z'), endMs: t('2024-03-05T00:00:00Z') };
  const keys = [{ name: 'currency', bucket: 'currency', raw: 'currency' }];

  it('reads sums from the daily rollup, and distinct counts never from it', () => {
    const [sums, orders, customers] = mergedStatsQueries('db', scope, days, { keys, distinct: ['orders', 'customers'], main: true, dailyFrom: 0 });
    expect(sums).toContain('db.voucher_stats_1d');
    expect(sums).not.toContain('voucher_stats_15m');
    for (const q of [orders, customers]) {
      expect(q).toContain('db.voucher_stats_15m');
      expect(q).not.toContain('voucher_stats_1d');
    }
    expect(orders).toContain('uniqExactIfMerge(orders)');
    expect(customers).toContain('uniqExactIfMerge(customers)');
  });

  it('never reads the daily rollup for dimensions or without coverage', () => {
    for (const q of mergedStatsQueries('db', scope, days, { keys, dimensions: true, distinct: ['orders', 'customers'], dailyFrom: 0 })) expect(q).not.toContain('voucher_stats_1d');
    for (const q of mergedStatsQueries('db', scope, days, { keys, distinct: [] })) expect(q).not.toContain('voucher_stats_1d');
  });

  it('computes only the distinct counts asked for, one statement each', () => {
    expect(mergedStatsQueries('db', scope, days, { keys, distinct: [] })).toHaveLength(1);
    const [, orders, ...rest] = mergedStatsQueries('db', scope, days, { keys, distinct: ['orders'] });
    expect(orders).toContain('uniqExactIfMerge(orders)');
    expect(rest).toEqual([]);
  });

  it('reads one dimension only when named, from the rollup and the raw edges alike', () => {
    const edges = { startMs: t('2024-03-01T00:05:00Z'), endMs: t('2024-03-01T01:05:00Z') };
    const [sums] = mergedStatsQueries('db', scope, edges, { keys: [], dimensions: 'segment', distinct: [] });
    expect(sums).toContain("FROM db.voucher_dimension_stats_15m WHERE");
    expect(sums).toContain("AND dimension = 'segment'");
    expect(sums).toContain("AND dim.1 = 'segment'");
    const [all] = mergedStatsQueries('db', scope, edges, { keys: [], dimensions: true, distinct: [] });
    expect(all).not.toContain("dimension = 'segment'");
    expect(all).not.toContain("dim.1 = 'segment'");
  });
});

describe('a second period in the sums statement (alsoSums)', () => {
  const scope = { accountId: 'a', livemode: false, voucherId: 'v' };
  const day = { name: 'day', bucket: "toString(toDate(bucket, 'UTC'))", raw: "toString(toDate(time, 'UTC'))" };
  const previousKey = { name: 'day', bucket: "'previous'", raw: "'previous'" };
  const currency = { name: 'currency', bucket: 'currency', raw: 'currency' };
  const count = (text: string, part: string) => text.split(part).length - 1;

  it('reads each table once, keying rows by the period their bounds fall in; distinct counts stay on the main period', () => {
    const range = { startMs: t('2024-03-10T00:00:00Z'), endMs: t('2024-03-12T00:00:00Z') };
    const previous = { startMs: t('2024-03-08T00:00:00Z'), endMs: t('2024-03-10T00:00:00Z') };
    const [sums, orders] = mergedStatsQueries('db', scope, range, {
      keys: [currency, day],
      distinct: ['orders'],
      dailyFrom: 0,
      alsoSums: { range: previous, keys: [currency, previousKey], dailyFrom: 0 },
    });
    expect(count(sums, 'FROM db.voucher_stats_1d')).toBe(1);
    expect(sums).toContain(`multiIf((bucket >= toDateTime(${range.startMs / 1000}) AND bucket < toDateTime(${range.endMs / 1000})), ${day.bucket}, 'previous') AS day`);
    expect(sums).toContain(`OR (bucket >= toDateTime(${previous.startMs / 1000}) AND bucket < toDateTime(${previous.endMs / 1000}))`);
    expect(sums).toContain('currency AS currency,');
    expect(orders).not.toContain("'previous'");
    expect(orders).not.toContain(`toDateTime(${previous.startMs / 1000})`);
  });

  it('raw edges of both periods come from one scan of the events, each keyed by its own bounds', () => {
    const range = { startMs: t('2024-03-10T00:00:00.500Z'), endMs: t('2024-03-11T00:00:00.500Z') };
    const previous = { startMs: t('2024-03-09T00:00:00.500Z'), endMs: range.startMs };
    const source = periodsStateSource('db', scope, [{ range, keys: [currency, day] }, { range: previous, keys: [currency, previousKey] }], {});
    expect(count(source, 'FROM db.voucher_events')).toBe(1);
    expect(count(source, 'FROM db.voucher_stats_15m')).toBe(1);
    expect(source).toMatch(/multiIf\(\(.*1710028800500.*\), toString\(toDate\(time, 'UTC'\)\), 'previous'\) AS day/);
    expect(source).toContain('GROUP BY currency, day');
  });
});

describe('stateSource', () => {
  it('escapes every value that reaches SQL', () => {
    const sql = stateSource('db', { accountId: "a'; DROP TABLE x --", livemode: true, voucherId: 'v\\\'', currency: 'USD' }, { startMs: 0, endMs: 900_000 }, { keys: [] });
    expect(sql).toContain("account_id = 'a\\'; DROP TABLE x --'");
    expect(sql).toContain("voucher_id = 'v\\\\\\''");
    expect(() => stateSource('db; DROP', { accountId: 'a', livemode: false }, { startMs: 0, endMs: 1 }, { keys: [] })).toThrow();
  });
});

describe('voucherListSql: where the period edges are read', () => {
  const DAY = 86_400_000;
  const d0 = Date.UTC(2024, 5, 1);
  const scope = { accountId: 'acc', livemode: false };
  // 2024-06-01 10:00 … 2024-06-04 15:30:00.5: two partial days around two whole ones.
  const range: MsRange = { startMs: d0 + 10 * 3_600_000, endMs: d0 + 3 * DAY + 15.5 * 3_600_000 + 500 };
  const list = (coverage: { dailyFrom?: number; usageFrom?: number }) => voucherListSql('db', scope, range, 'uses', undefined, 21, coverage);

  it('reads the edges from voucher_usage_by_time once it covers them, whole days from the daily rollup', () => {
    const sql = list({ dailyFrom: 0, usageFrom: 0 });
    expect(sql).toContain('voucher_usage_by_time');
    expect(sql).toContain('voucher_stats_1d');
    expect(sql).not.toMatch(/voucher_stats_15m|voucher_events/);
  });

  it('falls back to the rollups and raw events for edges before its coverage', () => {
    // Covered only from the second day on: the first edge predates it.
    const sql = list({ dailyFrom: 0, usageFrom: d0 + DAY });
    expect(sql).not.toContain('voucher_usage_by_time');
    expect(sql).toMatch(/voucher_stats_15m/);
    expect(sql).toMatch(/voucher_events/);
    expect(list({})).not.toContain('voucher_usage_by_time'); // no coverage row: never
  });

  it('reads whole days before the daily rollup is complete from voucher_usage_by_time too', () => {
    const sql = list({ dailyFrom: Infinity, usageFrom: 0 });
    expect(sql).toContain('voucher_usage_by_time');
    expect(sql).not.toMatch(/voucher_stats_1d|voucher_stats_15m|voucher_events/);
  });
});
