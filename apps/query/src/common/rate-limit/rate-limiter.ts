import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { counter } from '@app/observability';
import { REDIS } from '../redis/redis.provider';
import { LocalSlidingWindow, SLIDING_WINDOW_LUA, type RateLimitDecision } from './sliding-window';

/** Endpoint groups with their own limit; `export` is for the export API's creation endpoint. */
export type RateLimitGroup = 'performance' | 'trends' | 'customers' | 'vouchers' | 'export';

const limiterFallbacks = counter('query_rate_limiter_fallback_total', 'Rate-limit checks decided in process memory because Redis failed');

/** Per API key and endpoint group, over a sliding window shared by all replicas through Redis. */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly local = new LocalSlidingWindow();
  private readonly limits: Record<RateLimitGroup, number>;
  private readonly windowMs: number;
  private lastWarning = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
    this.limits = {
      performance: config.RATE_LIMIT_PERFORMANCE,
      trends: config.RATE_LIMIT_TRENDS,
      customers: config.RATE_LIMIT_CUSTOMERS,
      vouchers: config.RATE_LIMIT_VOUCHERS,
      export: config.RATE_LIMIT_EXPORT,
    };
    redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
  }

  async check(keyId: string, group: RateLimitGroup): Promise<RateLimitDecision> {
    const limit = this.limits[group];
    const key = `${this.config.REDIS_KEY_PREFIX}rl:${group}:${keyId}`;
    try {
      const run = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<number[]>>).slidingWindow;
      const [allowed, remaining, resetAtMs, nowMs] = (await run.call(this.redis, key, limit, this.windowMs, randomUUID())).map(Number);
      return { allowed: allowed === 1, limit, remaining, resetAtMs, nowMs };
    } catch (err) {
      limiterFallbacks.inc();
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`Redis unavailable for rate limiting, using the per-process window: ${String(err)}`);
      }
      return this.local.check(key, limit, this.windowMs);
    }
  }
}
