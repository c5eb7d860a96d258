import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DataVersions } from '@app/freshness';
import { counter } from '@app/observability';
import { REDIS } from '../redis/redis.provider';

const lookups = counter('query_cache_lookups_total', 'Response cache lookups by endpoint and result (hit, miss, error, bypass)', ['endpoint', 'result']);
const coalesced = counter('query_cache_coalesced_total', 'Requests that waited for an identical in-flight computation instead of querying', ['endpoint']);

/** Reads the data version (the epoch's and the answer's own) and the entry it names in one round trip. */
const VERSIONED_GET_LUA = `
local version = (redis.call('GET', KEYS[1]) or '0') .. '.' .. (redis.call('GET', KEYS[2]) or '0')
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
`;

/**
 * A cache hit: the answer's JSON bytes as stored, sent as is by the reply serializer below.
 * Parsing it only for the framework to serialize it again cost a third of a core at 3,700 trend
 * answers/s; kept as the bytes Redis sent, it is not decoded into a string and encoded back
 * either (a trends answer is ~9 KB: at 6k answers/s that was ~8% of the process's CPU, most of
 * it garbage collection).
 */
export class CachedJson {
  constructor(readonly body: Buffer) {}
}

/**
 * Fastify's reply serializer for the query app: a CachedJson is already the body; everything
 * else is serialized as Fastify does for routes without a response schema. Fastify sets the JSON
 * content type for any object payload before serializing, so both kinds answer alike.
 */
export function registerCachedJsonSerializer(fastify: { setReplySerializer(fn: (payload: unknown) => string | Buffer): unknown }): void {
  fastify.setReplySerializer((payload) => (payload instanceof CachedJson ? payload.body : JSON.stringify(payload)));
}

export interface CacheRequest {
  endpoint: string;
  /** Redis key of the data version this answer depends on (see @app/freshness DataVersions). */
  versionKey: string;
  /** Everything else the answer depends on: tenant, voucher, normalized parameters. */
  parts: Record<string, unknown>;
}

/**
 * Cache-aside keyed by the data version: ingest bumps the version after new events are durable,
 * which makes every entry computed before unreachable at once, so freshness never waits for a TTL.
 * Identical concurrent misses in this process share one computation (single-flight). Any Redis
 * failure degrades to computing the answer; it never fails a request.
 */
@Injectable()
export class ResponseCache {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private lastWarning = 0;
  private readonly epochKey: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    versions: DataVersions,
  ) {
    this.epochKey = versions.epochKey();
    redis.defineCommand('versionedGet', { numberOfKeys: 2, lua: VERSIONED_GET_LUA });
  }

  async getOrCompute<T>(request: CacheRequest, compute: () => Promise<T>): Promise<T | CachedJson> {
    const { endpoint } = request;
    if (!this.config.QUERY_CACHE_ENABLED) {
      lookups.inc({ endpoint, result: 'bypass' });
      return compute();
    }
    const digest = createHash('sha256').update(JSON.stringify(request.parts)).digest('base64url').slice(0, 32);
    // Per database, as the versions are: another deployment on this Redis has its own answers.
    const prefix = `${this.config.REDIS_KEY_PREFIX}qc:${this.config.CLICKHOUSE_DATABASE}:${endpoint}:`;
    const suffix = `:${digest}`;

    let version: string | undefined;
    try {
      const run = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<[Buffer, Buffer | null]>>).versionedGetBuffer;
      const [v, cached] = await run.call(this.redis, this.epochKey, request.versionKey, prefix, suffix);
      version = v.toString();
      if (cached !== null) {
        lookups.inc({ endpoint, result: 'hit' });
        return new CachedJson(cached);
      }
      lookups.inc({ endpoint, result: 'miss' });
    } catch (err) {
      lookups.inc({ endpoint, result: 'error' });
      this.warn(err);
    }

    // Without a version (Redis down) the flight key still groups identical requests.
    const flightKey = `${prefix}${version ?? 'none'}${suffix}`;
    const pending = this.inFlight.get(flightKey);
    if (pending) {
      coalesced.inc({ endpoint });
      return pending as Promise<T>;
    }
    const flight = compute();
    this.inFlight.set(flightKey, flight);
    // The flight stays visible until the entry is stored, so no request falls between the two.
    flight
      .then((value) =>
        version === undefined
          ? undefined
          : this.redis.set(flightKey, JSON.stringify(value), 'EX', this.config.QUERY_CACHE_TTL_SECONDS).catch((err) => this.warn(err)),
      )
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(flightKey));
    return flight;
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`Response cache unavailable, answering from ClickHouse: ${String(err)}`);
  }
}
