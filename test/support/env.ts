/** Where integration tests find the real services (started by `npm test`'s pretest step). */
export const TEST_ENV = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
  CLICKHOUSE_DATABASE: process.env.TEST_CLICKHOUSE_DATABASE ?? 'voucher_analytics_test',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};
