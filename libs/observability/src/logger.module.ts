import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loadConfig } from '@app/config';

/** Structured JSON logs (pino) for every app; request logs only at debug to keep hot paths quiet. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      useFactory: () => {
        const { LOG_LEVEL } = loadConfig();
        return {
          pinoHttp: {
            level: LOG_LEVEL,
            autoLogging: LOG_LEVEL === 'debug' || LOG_LEVEL === 'trace',
            redact: ['req.headers.authorization'],
          },
        };
      },
    }),
  ],
})
export class ObservabilityLoggerModule {}
