import { createClickHouse, migrate } from '../libs/clickhouse/src';
import { TEST_ENV } from './support/env';

/** Once per `npm test`: the test database gets the current schema (services were started by pretest). */
export default async function globalSetup(): Promise<void> {
  const client = createClickHouse({
    CLICKHOUSE_URL: TEST_ENV.CLICKHOUSE_URL,
    CLICKHOUSE_USER: 'default',
    CLICKHOUSE_PASSWORD: '',
    CLICKHOUSE_DATABASE: 'default',
  });
  await migrate(client, TEST_ENV.CLICKHOUSE_DATABASE);
  await client.close();
}
