import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { appliedMigrationVersion, latestMigrationVersion } from '@app/clickhouse';
import { gauge } from '@app/observability';
import { ClickHouseReader } from '../common/clickhouse/clickhouse-reader';
import { REDIS } from '../common/redis/redis.provider';

/**
 * What the last readiness probe found, for alerts: a pod whose ClickHouse is down is taken out of
 * its Service, so no API request reaches it to be counted as a 503, but the kubelet keeps probing.
 */
const dependencyUp = gauge('query_dependency_up', 'What the last readiness probe found: 1 up, 0 down or schema behind', ['dependency']);

/**
 * Readiness: ClickHouse is required (no answer is possible without it), with the schema this
 * build reads: ingest applies the migrations, and until it has, a query pod would answer 500s
 * ("schema behind"). Redis only accelerates, so without it the service is "degraded" but still
 * ready to take traffic.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  private readonly requiredSchema = latestMigrationVersion();
  /** Once current, the schema stays current (migrations only move forward): no query per probe. */
  private schemaCurrent = false;

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
    const [reachable, redis] = await Promise.all([
      this.clickhouse.ping(),
      this.redis.ping().then((r) => r === 'PONG', () => false),
    ]);
    if (reachable && !this.schemaCurrent) this.schemaCurrent = (await appliedMigrationVersion(this.clickhouse.client, this.clickhouse.database)) >= this.requiredSchema;
    const clickhouse = !reachable ? 'down' : this.schemaCurrent ? 'up' : 'schema behind';
    const checks = { clickhouse, redis: redis ? 'up' : 'down' };
    dependencyUp.set({ dependency: 'clickhouse' }, clickhouse === 'up' ? 1 : 0);
    dependencyUp.set({ dependency: 'redis' }, redis ? 1 : 0);
    if (clickhouse !== 'up') {
      reply.status(503);
      return { status: 'unavailable', checks };
    }
    return { status: redis ? 'ok' : 'degraded', checks };
  }
}
