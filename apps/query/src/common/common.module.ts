import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DataVersions } from '@app/freshness';
import type { Redis } from 'ioredis';
import { ApiKeyStore } from './auth/api-key-store';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ResponseCache } from './cache/response-cache';
import { ClickHouseReader } from './clickhouse/clickhouse-reader';
import { RateLimiter } from './rate-limit/rate-limiter';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { REDIS, redisProvider } from './redis/redis.provider';

/** Cross-cutting services every public route of the query app uses (auth, limits, cache, storage). */
@Global()
@Module({
  providers: [
    redisProvider,
    { provide: ApiKeyStore, inject: [APP_CONFIG], useFactory: (config: AppConfig) => ApiKeyStore.fromConfig(config) },
    {
      provide: DataVersions,
      inject: [REDIS, APP_CONFIG],
      useFactory: (redis: Redis, config: AppConfig) => new DataVersions(redis, config.REDIS_KEY_PREFIX, config.CLICKHOUSE_DATABASE),
    },
    ApiKeyGuard,
    RateLimiter,
    RateLimitGuard,
    ResponseCache,
    ClickHouseReader,
  ],
  exports: [REDIS, ApiKeyStore, DataVersions, ApiKeyGuard, RateLimiter, RateLimitGuard, ResponseCache, ClickHouseReader],
})
export class CommonModule {}
