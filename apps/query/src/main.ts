import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@app/config';
import { closeConnectionsOnShutdown } from '@app/observability';
import { registerCachedJsonSerializer } from './common/cache/response-cache';
import { apiValidationPipe } from './common/errors/validation.pipe';
import { registerHttpMetrics } from './common/http/http-metrics';
import { setUpOpenApi } from './openapi';
import { QueryModule } from './query.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env, 'query');
  const adapter = new FastifyAdapter({
    // Errors Fastify raises before routing (malformed URL encoding, …) still get the envelope.
    frameworkErrors: (_err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.status(400).send({ error: { code: 'VALIDATION_ERROR', message: 'Malformed request' } });
    },
    // Longer than any URL Node's parser accepts (16 KiB of headers), so every id reaches the
    // validation pipe and gets its 400 after auth, however long: with a lower cap the router
    // answered a long one 404 before auth and without rate-limit headers.
    routerOptions: { maxParamLength: 16_384 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(QueryModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(apiValidationPipe());
  registerHttpMetrics(app.getHttpAdapter().getInstance());
  registerCachedJsonSerializer(app.getHttpAdapter().getInstance());
  closeConnectionsOnShutdown(app.getHttpAdapter().getInstance());
  setUpOpenApi(app);
  app.enableShutdownHooks();
  await app.listen(config.PORT, '0.0.0.0');
}

bootstrap().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
