import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loadConfig } from '@app/config';

/**
 * Structured JSON logs (pino) for every app. Request logging (pino-http, which also builds a
 * request-scoped child logger and an async-local store for every request) only runs at debug or
 * trace: on the cached API path it cost about a fifth of each request's CPU. Errors are still
 * logged, with the route, by the apps' error handlers.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      useFactory: () => {
        const { LOG_LEVEL } = loadConfig();
        const requestLogging = LOG_LEVEL === 'debug' || LOG_LEVEL === 'trace';
        return {
          pinoHttp: {
            level: LOG_LEVEL,
            autoLogging: requestLogging,
            redact: ['req.headers.authorization'],
            // pino-http hands this the standard serialized request: drop the query string, which
            // may hold a working download token (?token=…).
            serializers: { req: (req: Record<string, unknown>) => ({ ...req, url: String(req.url ?? '').split('?')[0], query: undefined }) },
          },
          forRoutes: requestLogging ? undefined : [],
        };
      },
    }),
  ],
})
export class ObservabilityLoggerModule {}
