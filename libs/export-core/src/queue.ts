import { Redis } from 'ioredis';
import type { JobsOptions } from 'bullmq';

export const EXPORT_QUEUE_PREFIX = (redisKeyPrefix: string) => `${redisKeyPrefix}bull`;

export interface QueueConfig {
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  EXPORT_QUEUE_NAME: string;
  EXPORT_ATTEMPTS: number;
  EXPORT_BACKOFF_MS: number;
}

/**
 * Producer side (API) fails fast when Redis is away so a request gets a clear 503 instead of
 * waiting; the worker side must keep retrying forever (BullMQ requires maxRetriesPerRequest null
 * for its blocking connection).
 */
export function createRedis(url: string, role: 'producer' | 'worker'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

export function exportQueueOptions(config: QueueConfig): { prefix: string; defaultJobOptions: JobsOptions } {
  return {
    prefix: EXPORT_QUEUE_PREFIX(config.REDIS_KEY_PREFIX),
    defaultJobOptions: {
      attempts: config.EXPORT_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.EXPORT_BACKOFF_MS },
      // Finished jobs are only BullMQ's bookkeeping; the export record is the source of truth.
      removeOnComplete: { age: 86_400, count: 1_000 },
      removeOnFail: { age: 7 * 86_400 },
    },
  };
}
