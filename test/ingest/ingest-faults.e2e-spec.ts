import { Redis } from 'ioredis';
import { makeEvent, uid } from '../fixtures/events';
import { freePort, metricValue, startApp, type AppProcess } from '../support/app-process';
import { eventually, queryRows, testClickHouse } from '../support/clickhouse';
import { committedOffsets, createTopics, produceEvents } from '../support/kafka';
import { TEST_ENV } from '../support/env';
import { testVersions } from '../support/versions';
import { PrivateClickHouse, PrivateKafka, startPrivateRedis } from '../support/private-servers';
import { Kafka, logLevel } from 'kafkajs';
import type { VoucherEvent } from '@app/contracts';

const ch = testClickHouse();

function topicsFor(name: string) {
  const id = uid(name);
  return { KAFKA_TOPIC: `${id}-events`, KAFKA_DLQ_TOPIC: `${id}-dlq`, KAFKA_CONSUMER_GROUP: `${id}-ingest` };
}

/** n redeemed events for one account, spread over several vouchers (so over all partitions). */
function events(account: string, n: number): VoucherEvent[] {
  return Array.from({ length: n }, (_, i) =>
    makeEvent('voucher.redeemed', { account_id: account, voucher_id: `v_${i % 17}` }, { time: `2024-03-0${1 + (i % 5)}T10:00:00Z` }),
  );
}

async function stats(account: string, query = (sql: string) => queryRows<{ rows: string; ids: string }>(ch, sql)) {
  const [row] = await query(`SELECT count() AS rows, uniqExact(event_id) AS ids FROM voucher_events WHERE account_id = '${account}'`);
  return { rows: Number(row.rows), ids: Number(row.ids) };
}

afterAll(() => ch.close());

const redisAt = (port: number) => `redis://127.0.0.1:${port}`;
/** The cache epoch ingest bumps once Redis answers, read until it is set. */
const epochBumped = (redis: Redis) => eventually(() => redis.get(testVersions(redis).epochKey()), (v) => Number(v) > 0, 20_000);

/** Starts a Redis on `port` (where ingest expects one), hands `body` a client, then stops both. */
async function withPrivateRedis(port: number, body: (redis: Redis) => Promise<void>): Promise<void> {
  const server = await startPrivateRedis(port);
  const redis = new Redis(port, '127.0.0.1');
  try {
    await body(redis);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

describe('ingest under faults', () => {
  const started: AppProcess[] = [];
  const start = async (...args: Parameters<typeof startApp>) => {
    const app = await startApp(...args);
    started.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((a) => a.stop('SIGKILL')));
  });

  it('counts a batch once when the consumer is SIGKILLed between the ClickHouse insert and the offset commit', async () => {
    const env = topicsFor('crash');
    const account = uid('acc');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    const batch = events(account, 500);
    await produceEvents(env.KAFKA_TOPIC, batch);

    const doomed = await start('ingest', { ...env, INGEST_FAULT_CRASH_AFTER_INSERT: 'true' }, { waitReady: false });
    await doomed.exited; // killed itself right after its first insert
    expect(doomed.child.signalCode).toBe('SIGKILL');
    const afterCrash = await stats(account);
    expect(afterCrash.rows).toBeGreaterThan(0);
    expect(afterCrash.rows).toBe(afterCrash.ids);
    // Nothing was committed, so Kafka will hand the same messages to the next consumer.
    expect(Object.values(await committedOffsets(env.KAFKA_CONSUMER_GROUP, env.KAFKA_TOPIC)).every((o) => o === '-1')).toBe(true);

    const survivor = await start('ingest', env);
    await eventually(() => stats(account), (s) => s.rows >= 500);
    await eventually(
      () => metricValue(survivor.port, 'ingest_duplicates_dropped_total', { where: 'stored' }),
      (n) => n === afterCrash.rows,
    );
    expect(await stats(account)).toEqual({ rows: 500, ids: 500 });
    // The crash came between the insert and the freshness signal; every voucher's data version
    // must have moved all the same (the redelivered batch signals the rows it found stored).
    const redis = new Redis(TEST_ENV.REDIS_URL);
    try {
      const versions = await redis.mget(Array.from({ length: 17 }, (_, i) => testVersions(redis).voucherKey(account, false, `v_${i}`)));
      expect(versions.filter((v) => v === null)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('loses and doubles nothing when ClickHouse is killed mid-stream and comes back', async () => {
    const clickhouse = await PrivateClickHouse.create();
    try {
      const env = topicsFor('chdown');
      const account = uid('acc');
      await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
      const db = 'voucher_analytics';
      const query = async (sql: string) =>
        (await clickhouse.query(`${sql.replace('FROM voucher_events', `FROM ${db}.voucher_events`)} FORMAT JSONEachRow`))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      const ingest = await start('ingest', { ...env, CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: db });

      const all = events(account, 3_000);
      await produceEvents(env.KAFKA_TOPIC, all.slice(0, 1_000));
      await eventually(() => stats(account, query), (s) => s.rows >= 1_000);

      await clickhouse.kill();
      await produceEvents(env.KAFKA_TOPIC, all.slice(1_000, 2_000));
      await eventually(() => metricValue(ingest.port, 'ingest_flush_retries_total', { stage: 'clickhouse' }), (n) => n > 0);
      expect((await fetch(`http://127.0.0.1:${ingest.port}/health/ready`)).status).toBe(503);
      // The held flush fetches nothing, yet the lag (from committed offsets) shows what waits.
      await eventually(() => metricValue(ingest.port, 'ingest_consumer_lag'), (n) => n >= 1_000, 20_000);

      await clickhouse.start();
      await produceEvents(env.KAFKA_TOPIC, all.slice(2_000));
      await eventually(() => stats(account, query), (s) => s.rows >= 3_000, 60_000);
      await new Promise((r) => setTimeout(r, 1_000)); // a late duplicate would show up by now
      expect(await stats(account, query)).toEqual({ rows: 3_000, ids: 3_000 });
      expect(ingest.child.exitCode).toBeNull();
    } finally {
      await clickhouse.destroy();
    }
  });

  it('reconnects when the Kafka broker is killed and restarted, losing and doubling nothing', async () => {
    const broker = await PrivateKafka.create();
    const client = new Kafka({ clientId: 'test-private', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    try {
      const env = { ...topicsFor('kafkadown'), KAFKA_BROKERS: broker.brokers };
      const account = uid('acc');
      await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC], 6, client);
      const ingest = await start('ingest', env);
      const all = events(account, 2_000);
      await produceEvents(env.KAFKA_TOPIC, all.slice(0, 1_000), client);
      await eventually(() => stats(account), (s) => s.rows >= 1_000);

      await broker.kill();
      await new Promise((r) => setTimeout(r, 3_000));
      await broker.start();
      await produceEvents(env.KAFKA_TOPIC, all.slice(1_000), client);
      await eventually(() => stats(account), (s) => s.rows >= 2_000, 100_000).catch((err) => {
        throw new Error(`${String(err)}\n--- ingest output ---\n${ingest.output().slice(-6_000)}`);
      });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await stats(account)).toEqual({ rows: 2_000, ids: 2_000 });
      expect(ingest.child.exitCode).toBeNull();
    } finally {
      await broker.destroy();
    }
  }, 240_000);

  it('keeps writing while Redis is unreachable and signals the changed vouchers once it answers', async () => {
    const env = topicsFor('redisdown');
    const account = uid('acc');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    const redisPort = await freePort(); // nothing listens here yet
    const ingest = await start('ingest', { ...env, REDIS_URL: redisAt(redisPort) });

    await produceEvents(env.KAFKA_TOPIC, events(account, 50));
    await eventually(() => stats(account), (s) => s.rows >= 50);
    expect(await stats(account)).toEqual({ rows: 50, ids: 50 });
    // The flush signals freshness after the insert: rows can be visible a moment before the gauge moves.
    await eventually(() => metricValue(ingest.port, 'ingest_freshness_pending_vouchers'), (n) => n > 0);

    await withPrivateRedis(redisPort, async (redis) => {
      const version = await eventually(
        () => redis.get(testVersions(redis).voucherKey(account, false, 'v_0')),
        (v) => Number(v) > 0,
        20_000,
      );
      expect(Number(version)).toBeGreaterThan(0);
      expect(Number(await redis.get(testVersions(redis).accountKey(account, false)))).toBeGreaterThan(0);
      expect(Number(await redis.get(testVersions(redis).epochKey()))).toBeGreaterThan(0); // bumped with this process's first signal
    });
  });

  it('a process killed with changes it could not signal (Redis away): the next one to start bumps the epoch', async () => {
    const env = topicsFor('redisdead');
    const account = uid('acc');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    const redisPort = await freePort(); // nothing listens here yet
    const first = await start('ingest', { ...env, REDIS_URL: redisAt(redisPort) });
    await produceEvents(env.KAFKA_TOPIC, events(account, 50));
    await eventually(() => stats(account), (s) => s.rows >= 50);
    await eventually(() => metricValue(first.port, 'ingest_freshness_pending_vouchers'), (n) => n > 0);
    await first.stop('SIGKILL'); // its pending signals die with it

    await withPrivateRedis(redisPort, async (redis) => {
      expect(await redis.get(testVersions(redis).epochKey())).toBeNull();
      await start('ingest', { ...env, REDIS_URL: redisAt(redisPort) });
      // No new event arrives, and the stored batch was committed: only the epoch covers it.
      expect(Number(await epochBumped(redis))).toBeGreaterThan(0);
    });
  });

  it('a running process bumps the epoch again when Redis comes back, even with nothing to signal', async () => {
    const env = topicsFor('redisback');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    const redisPort = await freePort();
    let redisServer = await startPrivateRedis(redisPort);
    const redis = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await start('ingest', { ...env, REDIS_URL: redisAt(redisPort) });
      await redis.connect();
      await epochBumped(redis);
      redis.disconnect();
      // Redis restarts empty (as from an older snapshot: versions went back). Another ingest
      // process may have died with unsignalled changes meanwhile; this one has none of its own.
      await redisServer.stop();
      redisServer = await startPrivateRedis(redisPort);
      await redis.connect();
      expect(Number(await epochBumped(redis))).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
      await redisServer.stop();
    }
  });

  it('commits the batch in flight when stopped with SIGTERM: every stored offset is covered by the commit', async () => {
    const env = topicsFor('sigterm');
    const account = uid('acc');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    await produceEvents(env.KAFKA_TOPIC, events(account, 60_000));
    // Small batches keep a flush in flight most of the time while the backlog drains.
    const ingest = await start('ingest', { ...env, INGEST_MAX_BATCH_ROWS: '2000' });
    await eventually(() => stats(account), (s) => s.rows >= 5_000, 60_000);
    const code = await ingest.stop('SIGTERM');
    expect(ingest.child.signalCode === 'SIGTERM' || code === 0).toBe(true); // Nest re-raises the signal after its hooks

    // Before the fix kafkajs dropped commits made after disconnect() began: the last flush was
    // stored but not committed, and redelivered on the next start.
    const stored = await queryRows<{ partition: number; next: string }>(
      ch,
      `SELECT kafka_partition AS partition, toString(max(toUInt64(kafka_offset)) + 1) AS next FROM voucher_events
       WHERE account_id = '${account}' GROUP BY partition`,
    );
    const committed = await committedOffsets(env.KAFKA_CONSUMER_GROUP, env.KAFKA_TOPIC);
    expect(stored.length).toBeGreaterThan(0);
    expect(Object.fromEntries(stored.map((r) => [r.partition, r.next]))).toEqual(
      Object.fromEntries(stored.map((r) => [r.partition, committed[r.partition]])),
    );
  });

  it('shares partitions between two instances and counts each event once across rebalances', async () => {
    const env = topicsFor('group');
    const account = uid('acc');
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    const all = events(account, 4_000);
    const chunks = Array.from({ length: 10 }, (_, i) => all.slice(i * 400, (i + 1) * 400));

    const first = await start('ingest', env);
    let second: AppProcess | undefined;
    for (const [i, chunk] of chunks.entries()) {
      await produceEvents(env.KAFKA_TOPIC, chunk);
      if (i === 2) second = await start('ingest', env); // rebalance: partitions split
      if (i === 6) {
        // rebalance again: the first leaves gracefully (SIGTERM) and must exit within 30 s
        const stoppedAt = Date.now();
        const code = await first.stop('SIGTERM');
        expect(Date.now() - stoppedAt).toBeLessThan(30_000);
        expect(first.child.signalCode === 'SIGTERM' || code === 0).toBe(true);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await eventually(() => stats(account), (s) => s.rows >= 4_000, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await stats(account)).toEqual({ rows: 4_000, ids: 4_000 });
    expect(await metricValue(second!.port, 'ingest_events_consumed_total')).toBeGreaterThan(0);
  });
});
