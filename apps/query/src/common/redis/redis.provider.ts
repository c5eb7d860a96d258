import type { Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';

export const REDIS = Symbol('REDIS');

/**
 * Redis is an accelerator for the query service, never a dependency of a correct answer: no
 * offline queue and short timeouts, so while it is away each call fails fast and callers fall
 * back (ClickHouse for answers, an in-process window for rate limits).
 */
export const redisProvider: Provider = {
  provide: REDIS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const redis = new Redis(config.REDIS_URL, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: config.QUERY_REDIS_TIMEOUT_MS,
      connectTimeout: 1_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    redis.on('error', () => undefined); // reconnects by itself; callers count their own failures
    return redis;
  },
};
