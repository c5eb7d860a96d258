import { loadMigrations, migrate, sqlIdentifier } from '@app/clickhouse';
import { toEventRow, type EventType } from '@app/contracts';
import { makeEvent } from '../fixtures/events';
import { queryRows, scratchDatabases } from '../support/clickhouse';

/**
 * Migration 0004 replaces the customer ledger on databases that already hold events: its backfill
 * must copy every redeemed and completed sighting stored before it (two sightings of one order at
 * the same millisecond with different amounts included: the bug 0004 fixes), and nothing else.
 */
describe('customer ledger backfill (migration 0004)', () => {
  const { client, newDatabase } = scratchDatabases('va_ledger');
  const db = newDatabase();
  const d = sqlIdentifier(db);

  type Sighting = [customer: string, order: string, ms: number, amount: number, currency: string];

  async function insert(events: Array<{ type: EventType; sighting: Sighting }>, offset: number): Promise<void> {
    const values = events.map(({ type, sighting: [customer_id, order_id, ms, order_amount, currency] }, i) =>
      toEventRow(
        makeEvent(type, { account_id: 'acc_ledger', customer_id, order_id, order_amount, currency }, { time: new Date(ms).toISOString() }),
        ms,
        { topic: 't', partition: 0, offset: String(offset + i) },
        '2024-01-01 00:00:00',
      ),
    );
    await client.insert({ table: `${d}.voucher_events`, values, format: 'JSONEachRow' });
  }

  const ledger = async () =>
    (
      await queryRows<{ c: string; o: string; ms: string; a: string; cur: string }>(
        client,
        `SELECT DISTINCT customer_id AS c, order_id AS o, toUInt64(time) * 1000 + time_ms AS ms, order_amount AS a, currency AS cur
         FROM ${d}.customer_ledger WHERE account_id = 'acc_ledger' ORDER BY c, o, ms, a, cur`,
      )
    ).map((r): Sighting => [r.c, r.o, Number(r.ms), Number(r.a), r.cur]);

  it('copies every sighting stored before it, and the view takes the later ones', async () => {
    expect((await migrate(client, db, { upTo: 3 })).map((m) => m.version)).toEqual([1, 2, 3]);
    const t = Date.UTC(2024, 2, 1, 10, 15, 0, 123);
    const before: Sighting[] = [
      ['cus_a', 'ord_1', t, 5_000, 'USD'],
      ['cus_a', 'ord_1', t, 4_000, 'USD'], // the same order and instant, another amount
      ['cus_a', 'ord_1', t, 5_000, 'EUR'], // … and another currency
      ['cus_b', 'ord_2', t + 1, 7_000, 'USD'],
    ];
    await insert(
      [
        { type: 'voucher.redeemed', sighting: before[0] },
        { type: 'order.completed', sighting: before[1] },
        { type: 'order.completed', sighting: before[2] },
        { type: 'voucher.redeemed', sighting: before[3] },
        // Neither is a sighting of an order: not in the ledger.
        { type: 'voucher.validated', sighting: ['cus_c', 'ord_3', t, 1_000, 'USD'] },
        { type: 'voucher.redemption_rolled_back', sighting: ['cus_b', 'ord_2', t + 2, 7_000, 'USD'] },
      ],
      0,
    );

    expect((await migrate(client, db, { upTo: 4 })).map((m) => m.version)).toEqual([4]);
    const after: Sighting = ['cus_b', 'ord_4', t + 3, 9_000, 'USD'];
    await insert([{ type: 'order.completed', sighting: after }], 100);

    const key = (s: Sighting) => s.join('|');
    expect((await ledger()).map(key).sort()).toEqual([...before, after].map(key).sort());
    // The old view is gone: the retired table got nothing of the later insert.
    const [{ n }] = await queryRows<{ n: string }>(client, `SELECT count() AS n FROM ${d}.customer_orders WHERE order_id = 'ord_4'`);
    expect(n).toBe('0');
  });
});

/**
 * Two runners starting at once on a new database: one that read the migration ledger before the
 * other recorded 0001-0004 replays 0001, whose CREATE … IF NOT EXISTS brings back the views 0003
 * and 0004 dropped. The next run of `migrate` (that runner's own, or any later start) drops them again.
 */
describe('a migration replayed by a late runner', () => {
  const { client, newDatabase } = scratchDatabases('va_replay');
  const db = newDatabase();

  const views = async () =>
    (await queryRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${db}' AND engine = 'MaterializedView' ORDER BY name`)).map((r) => r.name);

  it('does not leave a dropped view behind', async () => {
    await migrate(client, db);
    const current = await views();
    expect(current).not.toContain('vouchers_mv');
    // The late runner's replay of 0001, statement by statement.
    const [first] = loadMigrations(db);
    for (const statement of first.statements) await client.command({ query: statement });
    expect(await views()).toEqual(expect.arrayContaining(['vouchers_mv', 'customer_orders_mv']));

    expect(await migrate(client, db)).toEqual([]); // nothing pending, and yet:
    expect(await views()).toEqual(current);
  });
});
