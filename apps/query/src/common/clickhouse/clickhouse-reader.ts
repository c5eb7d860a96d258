import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createClickHouse, type ClickHouseClient } from '@app/clickhouse';
import { histogram } from '@app/observability';
import { ApiError, ServiceUnavailableError } from '../errors/api-error';

const queryTime = histogram(
  'query_clickhouse_query_duration_seconds',
  'ClickHouse round-trip time per named query',
  [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
  ['query', 'outcome'],
);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Transport failures (server away, timeouts) as opposed to ClickHouse answering with an error. */
function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) || /timeout|socket hang up|ECONN/i.test(String(e?.message ?? ''));
}

/**
 * The query service's only door to ClickHouse. It times every query, and it decides once what a
 * failure means for the caller: unreachable → SERVICE_UNAVAILABLE, anything else → INTERNAL_ERROR
 * (logged with the SQL, which never reaches a response).
 */
@Injectable()
export class ClickHouseReader implements OnModuleDestroy {
  private readonly logger = new Logger(ClickHouseReader.name);
  readonly client: ClickHouseClient;
  readonly database: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createClickHouse(config, { requestTimeoutMs: config.QUERY_CLICKHOUSE_TIMEOUT_MS });
    this.database = config.CLICKHOUSE_DATABASE;
  }

  async rows<T>(name: string, query: string): Promise<T[]> {
    const stop = queryTime.startTimer({ query: name });
    try {
      const result = await this.client.query({ query, format: 'JSONEachRow' });
      const rows = await result.json<T>();
      stop({ outcome: 'ok' });
      return rows;
    } catch (err) {
      stop({ outcome: 'error' });
      if (isUnreachable(err)) {
        this.logger.warn({ err: String(err), query: name }, 'ClickHouse unreachable');
        throw new ServiceUnavailableError();
      }
      this.logger.error({ err, query: name, sql: query.slice(0, 4000) }, 'ClickHouse rejected a query');
      throw new ApiError('INTERNAL_ERROR', 'Internal error');
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()).success;
    } catch {
      return false;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.close();
  }
}
