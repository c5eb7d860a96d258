import { migrate, sqlIdentifier } from '@app/clickhouse';
import { toEventRow } from '@app/contracts';
import { dailyCoverageSql, mergedStatsQueries, type MsRange } from '../../apps/query/src/analytics/storage/stats-sql';
import { makeEvent, uid } from '../fixtures/events';
import { queryRows, testClickHouse } from '../support/clickhouse';

const DAY = 86_400_000;

/**
 * The daily rollup arrives by migration on databases that already hold events, and a view only
 * sees later inserts: these tests check the coverage the migration records, and that figures
 * read through it (daily rollup from coverage on, 15-minute rollup before) stay exact.
 */
describe('daily rollup coverage (migration 0002)', () => {
  const client = testClickHouse();
  const databases: string[] = [];
  const newDatabase = () => {
    const name = `va_cov_${uid('db').slice(3)}`;
    databases.push(name);
    return name;
  };
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

  async function coverage(db: string): Promise<{ n: string; complete_from_s: number }> {
    return (await queryRows<{ n: string; complete_from_s: number }>(client, dailyCoverageSql(db)))[0];
  }

  afterAll(async () => {
    for (const db of databases) await client.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(db)}` });
    await client.close();
  });

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
});
