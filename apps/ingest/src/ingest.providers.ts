import type { Provider } from '@nestjs/common';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createClickHouse } from '@app/clickhouse';
import { DataVersions } from '@app/freshness';

export const KAFKA = Symbol('KAFKA');
export const CLICKHOUSE = Symbol('CLICKHOUSE');
export const REDIS = Symbol('REDIS');

const KAFKAJS_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.NOTHING]: 'debug',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Clients of the three servers ingest talks to, built once from the validated config. */
export const ingestProviders: Provider[] = [
  {
    provide: KAFKA,
    inject: [APP_CONFIG, PinoLogger],
    useFactory: (config: AppConfig, logger: PinoLogger) =>
      new Kafka({
        clientId: `${config.KAFKA_CLIENT_ID}-ingest`,
        brokers: config.KAFKA_BROKERS,
        logLevel: logLevel.WARN,
        retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
        logCreator:
          () =>
          ({ level, log }: LogEntry) => {
            const { message, ...extra } = log;
            logger[KAFKAJS_LEVEL[level]]({ kafka: extra }, message);
          },
      }),
  },
  {
    provide: CLICKHOUSE,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => createClickHouse(config, { requestTimeoutMs: 30_000 }),
  },
  {
    provide: REDIS,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => {
      // Fail fast while Redis is away: freshness signals wait in memory, ingest never blocks on them.
      const redis = new Redis(config.REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 1_000,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      });
      redis.on('error', () => undefined); // reconnects on its own; FreshnessSignal reports failures
      return redis;
    },
  },
  {
    provide: DataVersions,
    inject: [REDIS, APP_CONFIG],
    useFactory: (redis: Redis, config: AppConfig) => new DataVersions(redis, config.REDIS_KEY_PREFIX, config.CLICKHOUSE_DATABASE),
  },
];
