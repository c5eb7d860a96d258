import type { Provider } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createClickHouse, type ClickHouseClient } from '@app/clickhouse';
import { createRedis, ExportStore, exportQueueOptions, LocalDirStorage, type ExportStorage } from '@app/export-core';
import { ExportRowsQuery } from './export-rows.query';

export const REDIS = Symbol('REDIS');
export const CLICKHOUSE = Symbol('CLICKHOUSE');
export const EXPORT_QUEUE = Symbol('EXPORT_QUEUE');
export const EXPORT_STORAGE = Symbol('EXPORT_STORAGE');

export const exportWorkerProviders: Provider[] = [
  { provide: REDIS, inject: [APP_CONFIG], useFactory: (c: AppConfig): Redis => createRedis(c.REDIS_URL, 'worker') },
  // Exports stream for as long as the file takes; the 30 s default would cut a large one off.
  { provide: CLICKHOUSE, inject: [APP_CONFIG], useFactory: (c: AppConfig): ClickHouseClient => createClickHouse(c, { requestTimeoutMs: 600_000 }) },
  { provide: ExportRowsQuery, inject: [CLICKHOUSE], useFactory: (ch: ClickHouseClient) => new ExportRowsQuery(ch) },
  { provide: ExportStore, inject: [REDIS, APP_CONFIG], useFactory: (r: Redis, c: AppConfig) => new ExportStore(r, c.REDIS_KEY_PREFIX) },
  { provide: EXPORT_STORAGE, inject: [APP_CONFIG], useFactory: (c: AppConfig): ExportStorage => new LocalDirStorage(c.EXPORT_DIR) },
  {
    provide: EXPORT_QUEUE,
    inject: [REDIS, APP_CONFIG],
    useFactory: (r: Redis, c: AppConfig) => new Queue(c.EXPORT_QUEUE_NAME, { connection: r, ...exportQueueOptions(c) }),
  },
];
