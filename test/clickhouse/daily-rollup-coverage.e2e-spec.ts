import { migrate, sqlIdentifier } from '@app/clickhouse';
import { toEventRow } from '@app/contracts';
import { coverageOf, coverageSql, mergedStatsQueries, voucherListSql, type MsRange } from '../../apps/query/src/analytics/storage/stats-sql';
import { makeEvent } from '../fixtures/events';
import { queryRows, scratchDatabases } from '../support/clickhouse';

const DAY = 86_400_000;

/**
 * The daily rollup arrives by migration on databases that already hold events, and a view only
 * sees later inserts: these tests check the coverage the migration records, and that figures
 * read through it (daily rollup from coverage on, 15-minute rollup before) stay exact.
 */
describe('daily rollup coverage (migration 0002)', () => {
  const { client, newDatabase } = scratchDatabases('va_cov');
  const account = 'acc_cov';

  async function insertEvents(db: string, times: number[]): Promise<void> {
    const values = times.map((ms, i) =>
      toEventRow(
        makeEvent('voucher.redeemed', { account_id: account, voucher_id: 'v_cov', order_amount: 1_000 + i, discount_amount: 100 + i }, { time: new Date(ms).toISOString() }),
        ms,
        { topic: 't', partition: 0, offset: String(i) },
        '2024-01-01 00:00:00',
      ),
    );
    await client.insert({ table: `${sqlIdentifier(db)}.voucher_events`, values, format: 'JSONEachRow' });
  }

  /** The daily rollup's coverage rows: how many, and the latest. */
  async function coverage(db: string): Promise<{ n: string; complete_from_s: number }> {
    return (
      await queryRows<{ n: string; complete_from_s: number }>(
        client,
        `SELECT toString(count()) AS n, toUInt32(max(complete_from)) AS complete_from_s FROM ${sqlIdentifier(db)}.rollup_coverage WHERE rollup = 'voucher_stats_1d'`,
      )
    )[0];
  }

  it('a database migrated before any event is complete from the epoch', async () => {
    const db = newDatabase();
    await migrate(client, db);
    expect(await coverage(db)).toEqual({ n: '1', complete_from_s: 0 });
  });

  it('on a database with events it starts after them, and figures across the boundary stay exact', async () => {
    const db = newDatabase();
    // Only 0001 applied, as on a database that predates the daily rollup.
    expect((await migrate(client, db, { upTo: 1 })).map((m) => m.version)).toEqual([1]);

    // Events stored before the migration, one of them dated two days ahead.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const before = [today - 5 * DAY + 3_600_000, today - 2 * DAY + 7_200_000, today + 2 * DAY + 60_000];
    await insertEvents(db, before);

    await migrate(client, db);
    const { complete_from_s } = await coverage(db);
    expect(complete_from_s * 1000).toBe(today + 3 * DAY); // the day after the latest stored event

    // Later inserts reach the daily rollup (late ones included); earlier ones never did.
    const after = [today - 4 * DAY + 1_000, today + 4 * DAY + 5_000, today + 6 * DAY + 120_000];
    await insertEvents(db, after);
    const [{ n }] = await queryRows<{ n: string }>(client, `SELECT sumMerge(redeemed) AS n FROM ${sqlIdentifier(db)}.voucher_stats_1d`);
    expect(Number(n)).toBe(after.length);

    const range: MsRange = { startMs: today - 6 * DAY, endMs: today + 8 * DAY };
    const scope = { accountId: account, livemode: false, voucherId: 'v_cov' };
    const keys = [{ name: 'currency', bucket: 'currency', raw: 'currency' }];
    const [sums] = mergedStatsQueries(db, scope, range, { keys, distinct: [], dailyFrom: complete_from_s * 1000 });
    expect(sums).toContain('voucher_stats_1d');
    const [row] = await queryRows<Record<string, string>>(client, sums);
    expect(Number(row.n_redeemed)).toBe(before.length + after.length);
    expect(Number(row.n_redeemed_order_amount)).toBe(2 * (1_000 + 1_001 + 1_002));
    expect(Number(row.n_redeemed_discount)).toBe(2 * (100 + 101 + 102));
  });

  it('voucher_usage_by_time (0005) over past events only is covered from the day after now', async () => {
    const db = newDatabase();
    await migrate(client, db, { upTo: 4 });
    await insertEvents(db, [Date.now() - 3 * DAY]);
    const dayBefore = Math.floor(Date.now() / DAY) * DAY;
    await migrate(client, db);
    const dayAfter = Math.floor(Date.now() / DAY) * DAY; // a midnight may pass meanwhile
    const { usageFrom } = coverageOf(await queryRows(client, coverageSql(db)));
    expect([dayBefore + DAY, dayAfter + DAY]).toContain(usageFrom);
  });

  it('voucher_usage_by_time (0005) likewise: the voucher list reads it only from its coverage on, exact either side', async () => {
    const db = newDatabase();
    expect((await migrate(client, db, { upTo: 4 })).map((m) => m.version)).toEqual([1, 2, 3, 4]);
    const today = Math.floor(Date.now() / DAY) * DAY;
    // One stored event two days ahead: coverage starts the day after it, whenever the migration runs
    // (a midnight between this line and ClickHouse's now() cannot move it).
    const before = [today - 5 * DAY + 3_600_000, today - 2 * DAY + 7_200_000, today + 2 * DAY + 60_000];
    await insertEvents(db, before);
    await migrate(client, db);
    const tables = coverageOf(await queryRows(client, coverageSql(db)));
    expect(tables.usageFrom).toBe(today + 3 * DAY);
    const after = [today - 4 * DAY + 1_000, today + 4 * DAY + 5_123, today + 3 * DAY + 7_200_000];
    await insertEvents(db, after);
    const [{ n }] = await queryRows<{ n: string }>(client, `SELECT toString(count()) AS n FROM ${sqlIdentifier(db)}.voucher_usage_by_time`);
    expect(n).toBe('3'); // only what was inserted after the view

    const list = async (range: MsRange) => {
      const sql = voucherListSql(db, { accountId: account, livemode: false }, range, 'uses', undefined, 10, tables);
      const rows = await queryRows<Record<string, string>>(client, sql);
      return { usesTable: sql.includes('voucher_usage_by_time'), rows: rows.map((r) => [r.voucher_id, r.currency, r.f_uses, r.f_discount, r.f_revenue_impact].join(' ')) };
    };
    // Amounts are 1,000 + i and discounts 100 + i by position in each insert (insertEvents).
    const figures = (positions: number[]) => {
      const discount = positions.reduce((sum, i) => sum + 100 + i, 0);
      return `v_cov USD ${positions.length} ${discount} ${positions.reduce((sum, i) => sum + 1_000 + i, 0) - discount}`;
    };
    // Mid-day edges before the coverage: rollups and raw events, all six events.
    expect(await list({ startMs: today - 6 * DAY + 1_234, endMs: today + 5 * DAY - 1_234 })).toEqual({
      usesTable: false,
      rows: [figures([0, 1, 2, 0, 1, 2])],
    });
    // Edges after it: voucher_usage_by_time, to the millisecond (the event at +5,123 ms is the last one in).
    const late = after[1];
    expect(await list({ startMs: today + 4 * DAY + 1_234, endMs: late + 1 })).toEqual({ usesTable: true, rows: [figures([1])] });
    expect(await list({ startMs: today + 4 * DAY + 1_234, endMs: late })).toEqual({ usesTable: true, rows: [] });
    // A whole day from the daily rollup (+4 d) beside an edge from the copy (+3 d 02:00): each event once.
    expect(await list({ startMs: today + 3 * DAY + 1_234, endMs: today + 5 * DAY })).toEqual({ usesTable: true, rows: [figures([1, 2])] });
  });
});
