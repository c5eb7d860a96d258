import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { answerWithin } from '../export/answer-within';
import { ExportProcessor } from '../export/export.processor';
import { REDIS } from '../export/export-worker.providers';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly processor: ExportProcessor,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready = the queue consumer runs and Redis (queue + metadata) answers. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      // A "down" result (not a thrown error, which terminus turns into a 500) makes the check 503.
      async () => {
        const exportQueue = this.indicators.check('exportQueue');
        const pong = await answerWithin(this.redis.ping(), 1_000).catch(() => undefined);
        return pong === 'PONG' && this.processor.isRunning() ? exportQueue.up() : exportQueue.down('export queue not ready');
      },
    ]);
  }
}
