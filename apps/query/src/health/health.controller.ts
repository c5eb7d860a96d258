import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { ClickHouseReader } from '../common/clickhouse/clickhouse-reader';
import { REDIS } from '../common/redis/redis.provider';

/**
 * Readiness: ClickHouse is required (no answer is possible without it); Redis only accelerates,
 * so without it the service is "degraded" but still ready to take traffic.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly clickhouse: ClickHouseReader,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [clickhouse, redis] = await Promise.all([
      this.clickhouse.ping(),
      this.redis.ping().then((r) => r === 'PONG', () => false),
    ]);
    const checks = { clickhouse: clickhouse ? 'up' : 'down', redis: redis ? 'up' : 'down' };
    if (!clickhouse) {
      reply.status(503);
      return { status: 'unavailable', checks };
    }
    return { status: redis ? 'ok' : 'degraded', checks };
  }
}
