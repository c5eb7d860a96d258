import { awaitInsertsRunningNow } from '@app/clickhouse';
import { uid } from '../fixtures/events';
import { eventually, queryRows, testClickHouse } from '../support/clickhouse';

/**
 * The race migration 0004 would lose rows to: an INSERT already running when a view is created
 * writes without the view, and a backfill that snapshots the source before that INSERT commits
 * misses its rows too. `migrate` waits for such inserts (awaitInsertsRunningNow) after each view.
 */
describe('a view created while an INSERT runs (real ClickHouse)', () => {
  const client = testClickHouse();
  const source = uid('race_src');
  const target = uid('race_dst');
  afterAll(async () => {
    for (const t of [`${target}_mv`, target, source]) await client.command({ query: `DROP TABLE IF EXISTS ${t}` });
    await client.close();
  });

  const count = async (table: string) => Number((await queryRows<{ n: string }>(client, `SELECT count() AS n FROM ${table}`))[0].n);

  it('the backfill after the wait sees every row of an INSERT that was running when the view appeared', async () => {
    await client.command({ query: `CREATE TABLE ${source} (n UInt64) ENGINE = MergeTree ORDER BY n` });
    await client.command({ query: `CREATE TABLE ${target} (n UInt64) ENGINE = ReplacingMergeTree ORDER BY n` });
    // A slow insert (~4 s): it starts before the view exists (seen running, not assumed after a sleep).
    const slow = client.command({ query: `INSERT INTO ${source} SELECT number + sleepEachRow(0.5) FROM numbers(8)`, clickhouse_settings: { max_block_size: '1' } });
    await eventually(
      () => queryRows<{ n: string }>(client, `SELECT toString(count()) AS n FROM system.processes WHERE query LIKE 'INSERT INTO ${source}%'`),
      ([row]) => row.n === '1',
    );
    await client.command({ query: `CREATE MATERIALIZED VIEW ${target}_mv TO ${target} AS SELECT n FROM ${source}` });

    const started = Date.now();
    await awaitInsertsRunningNow(client);
    const waited = Date.now() - started;
    // The backfill, as 0004 runs it after the view: the running insert has committed by now.
    await client.command({ query: `INSERT INTO ${target} SELECT n FROM ${source}` });
    await slow;

    expect(waited).toBeGreaterThan(500); // it did wait for the insert, not return at once
    expect(await count(source)).toBe(8);
    expect(await count(`(SELECT DISTINCT n FROM ${target})`)).toBe(8); // no row missed
  });
});
