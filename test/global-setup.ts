import { Kafka, logLevel } from 'kafkajs';
import { createClickHouse, migrate, MIGRATION_REQUEST_TIMEOUT_MS } from '../libs/clickhouse/src';
import { TEST_ENV } from './support/env';

/**
 * Once per `npm test`, after pretest started the services: the test database gets the current
 * schema, and Kafka must accept a topic (a freshly started broker answers on its port a little
 * before its controller can create topics).
 */
export default async function globalSetup(): Promise<void> {
  const client = createClickHouse({
    CLICKHOUSE_URL: TEST_ENV.CLICKHOUSE_URL,
    CLICKHOUSE_USER: 'default',
    CLICKHOUSE_PASSWORD: '',
    CLICKHOUSE_DATABASE: 'default',
  }, { requestTimeoutMs: MIGRATION_REQUEST_TIMEOUT_MS });
  await migrate(client, TEST_ENV.CLICKHOUSE_DATABASE);
  await client.close();

  const admin = new Kafka({ clientId: 'test-setup', brokers: TEST_ENV.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'test-readiness-probe', numPartitions: 1 }] });
      break;
    } catch (err) {
      if (Date.now() > until) throw new Error(`Kafka did not accept a topic within 90 s: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
