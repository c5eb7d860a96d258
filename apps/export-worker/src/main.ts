import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@app/config';
import { closeConnectionsOnShutdown } from '@app/observability';
import { ExportWorkerModule } from './export-worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env, 'export-worker');
  const app = await NestFactory.create<NestFastifyApplication>(ExportWorkerModule, new FastifyAdapter(), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeConnectionsOnShutdown(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks();
  await app.listen(config.EXPORT_WORKER_HTTP_PORT, '0.0.0.0');
}

bootstrap().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
