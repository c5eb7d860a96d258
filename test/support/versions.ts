import type { Redis } from 'ioredis';
import { loadConfig } from '@app/config';
import { DataVersions } from '@app/freshness';
import { TEST_ENV } from './env';

/** The data versions the apps under test read and bump: the default key prefix, the test database. */
export function testVersions(redis: Redis): DataVersions {
  return new DataVersions(redis, loadConfig({}).REDIS_KEY_PREFIX, TEST_ENV.CLICKHOUSE_DATABASE);
}
