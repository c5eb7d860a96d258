import { EventStore, insertQueryId, InsertsStillRunningError } from '../../apps/ingest/src/storage/event-store';
import { uid } from '../fixtures/events';
import { eventually, queryRows, testClickHouse } from '../support/clickhouse';
import { TEST_ENV } from '../support/env';

const ch = testClickHouse();

describe('EventStore.awaitRunningInserts (real ClickHouse)', () => {
  afterAll(async () => {
    await ch.close();
  });

  it('waits while ClickHouse still runs an insert of the same partitions, and not for other partitions', async () => {
    const store = new EventStore(ch, TEST_ENV.CLICKHOUSE_DATABASE);
    const topic = uid('events');
    // Stands in for an insert whose client gave up while ClickHouse carries on (~2.5 s).
    const queryId = insertQueryId({ topic, partitions: [2, 3] });
    let finishedAt = 0;
    const running = ch.command({ query: 'SELECT sleepEachRow(0.5) FROM numbers(5) FORMAT Null', query_id: queryId }).then(() => (finishedAt = Date.now()));
    await eventually(
      () => queryRows<{ n: string }>(ch, `SELECT count() AS n FROM system.processes WHERE query_id = '${queryId}'`),
      (rows) => rows[0].n === '1',
    );

    const otherStarted = Date.now();
    await store.awaitRunningInserts({ topic, partitions: [0, 1] });
    await store.awaitRunningInserts({ topic: uid('other'), partitions: [2, 3] });
    expect(Date.now() - otherStarted).toBeLessThan(1_000);
    expect(finishedAt).toBe(0);

    // Bounded: past maxWaitMs it fails the attempt (the flusher's retry loop then heartbeats,
    // honours a shutdown or lost partitions, and waits again).
    await expect(store.awaitRunningInserts({ topic, partitions: [3] }, { maxWaitMs: 300 })).rejects.toBeInstanceOf(InsertsStillRunningError);
    expect(finishedAt).toBe(0);

    await store.awaitRunningInserts({ topic, partitions: [3, 4] }, { pollMs: 50 });
    const released = Date.now();
    await running;
    // Released only once ClickHouse no longer lists the query: at most one poll after it ended.
    expect(released).toBeGreaterThanOrEqual(finishedAt - 100);
    expect(await queryRows(ch, `SELECT 1 FROM system.processes WHERE query_id = '${queryId}'`)).toEqual([]);
  });
});
