import { createClickHouse, sqlIdentifier, type ClickHouseClient } from '@app/clickhouse';
import { uid } from '../fixtures/events';
import { TEST_ENV } from './env';

export function testClickHouse(): ClickHouseClient {
  return createClickHouse({
    CLICKHOUSE_URL: TEST_ENV.CLICKHOUSE_URL,
    CLICKHOUSE_USER: 'default',
    CLICKHOUSE_PASSWORD: '',
    CLICKHOUSE_DATABASE: TEST_ENV.CLICKHOUSE_DATABASE,
  });
}

/**
 * A client and throwaway databases for one describe block (migration tests start from empty
 * ones): after the block every database it made is dropped and the client closed.
 */
export function scratchDatabases(prefix: string): { client: ClickHouseClient; newDatabase: () => string } {
  const client = testClickHouse();
  const names: string[] = [];
  afterAll(async () => {
    for (const name of names) await client.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(name)}` });
    await client.close();
  });
  const newDatabase = () => {
    names.push(uid(prefix));
    return names[names.length - 1];
  };
  return { client, newDatabase };
}

export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Polls until `probe` returns a value accepted by `done`, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < until) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch {
      // the service may be restarting; keep polling
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}
