import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { answerWithin } from '../export/answer-within';
import { ExportProcessor } from '../export/export.processor';
import { REDIS } from '../export/export-worker.providers';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
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
      async (): Promise<HealthIndicatorResult> => {
        const pong = await answerWithin(this.redis.ping(), 1_000);
        if (pong !== 'PONG' || !this.processor.isRunning()) throw new Error('export queue not ready');
        return { exportQueue: { status: 'up' } };
      },
    ]);
  }
}
