import { createClickHouse, type ClickHouseClient } from '@app/clickhouse';
import { TEST_ENV } from './env';

export function testClickHouse(): ClickHouseClient {
  return createClickHouse({
    CLICKHOUSE_URL: TEST_ENV.CLICKHOUSE_URL,
    CLICKHOUSE_USER: 'default',
    CLICKHOUSE_PASSWORD: '',
    CLICKHOUSE_DATABASE: TEST_ENV.CLICKHOUSE_DATABASE,
  });
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
