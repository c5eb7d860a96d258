import type { Provider } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedis, ExportStore, exportQueueOptions, LocalDirStorage, type ExportStorage } from '@app/export-core';
import { REDIS } from '../common';

export const EXPORT_QUEUE = Symbol('EXPORT_QUEUE');
export const EXPORT_STORAGE = Symbol('EXPORT_STORAGE');

export const exportApiProviders: Provider[] = [
  // Export metadata has no fallback (unlike cached answers), so reads share the app's fail-fast Redis client.
  { provide: ExportStore, inject: [REDIS, APP_CONFIG], useFactory: (r: Redis, c: AppConfig) => new ExportStore(r, c.REDIS_KEY_PREFIX) },
  { provide: EXPORT_STORAGE, inject: [APP_CONFIG], useFactory: (c: AppConfig): ExportStorage => new LocalDirStorage(c.EXPORT_DIR) },
  {
    provide: EXPORT_QUEUE,
    inject: [APP_CONFIG],
    useFactory: (c: AppConfig) => {
      const connection = createRedis(c.REDIS_URL, 'producer');
      connection.on('error', () => undefined); // reconnects by itself; a failed add becomes a 503
      return new Queue(c.EXPORT_QUEUE_NAME, { connection, ...exportQueueOptions(c) });
    },
  },
];
