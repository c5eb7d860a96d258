import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { createClickHouse, migrateWhenReady, MIGRATION_REQUEST_TIMEOUT_MS } from '@app/clickhouse';
import { loadConfig } from '@app/config';
import { closeConnectionsOnShutdown } from '@app/observability';
import { IngestModule } from './ingest.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env, 'ingest');
  // Schema first: the consumer must never write into tables that do not exist yet.
  const admin = createClickHouse({ ...config, CLICKHOUSE_DATABASE: 'default' }, { requestTimeoutMs: MIGRATION_REQUEST_TIMEOUT_MS });
  await migrateWhenReady(admin, config.CLICKHOUSE_DATABASE, (msg) => console.warn(msg), 60, { cluster: config.CLICKHOUSE_CLUSTER });
  await admin.close();

  const app = await NestFactory.create<NestFastifyApplication>(IngestModule, new FastifyAdapter(), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeConnectionsOnShutdown(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks();
  await app.listen(config.INGEST_HTTP_PORT, '0.0.0.0');
}

bootstrap().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
