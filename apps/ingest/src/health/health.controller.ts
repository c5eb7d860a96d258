import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult } from '@nestjs/terminus';
import { EventConsumer } from '../consumer/event-consumer.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly consumer: EventConsumer,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready when the consumer is in its group (Kafka reachable) and ClickHouse answers. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      async (): Promise<HealthIndicatorResult> => ({ kafka: { status: this.consumer.isRunning ? 'up' : 'down' } }),
      async (): Promise<HealthIndicatorResult> => ({
        clickhouse: { status: (await this.consumer.store.ping().catch(() => false)) ? 'up' : 'down' },
      }),
    ]);
  }
}
