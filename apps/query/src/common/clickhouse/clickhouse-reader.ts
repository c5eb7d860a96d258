import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createClickHouse, parseJsonEachRow, type ClickHouseClient } from '@app/clickhouse';
import { histogram } from '@app/observability';
import { ApiError, ServiceUnavailableError } from '../errors/api-error';
import { ClickHouseQueryError, isUnavailable } from './clickhouse-failure';

const queryTime = histogram(
  'query_clickhouse_query_duration_seconds',
  'ClickHouse round-trip time per named query',
  [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10],
  ['query', 'outcome'],
);

/** ClickHouse's error code for a database that does not exist. */
const UNKNOWN_DATABASE = 81;

/** Statements one replica runs at once; more wait in the pool (docs/operations.md: ClickHouse's query budget). */
const CONNECTIONS = 10;

/**
 * The query service's only door to ClickHouse. It times every query, and it decides once what a
 * failure means for the caller: no server can answer (clickhouse-failure.ts) → SERVICE_UNAVAILABLE,
 * anything else → INTERNAL_ERROR (logged with the SQL, which never reaches a response).
 *
 * Reads go over undici's keep-alive pool rather than @clickhouse/client: the official client waits
 * a timer tick before every request (a workaround for stale sockets, clickhouse-js#294) and streams
 * the body, which cost ~2 ms of latency and ~0.8 ms of CPU per statement here, against ~1 ms and
 * ~0.2 ms for the same POST through undici (docs/decisions.md). An analytics answer sends 3-5
 * statements, the cheap ones in single milliseconds. The official client stays for the health
 * check's schema lookup, which is not on the request path.
 */
@Injectable()
export class ClickHouseReader implements OnApplicationShutdown {
  private readonly logger = new Logger(ClickHouseReader.name);
  readonly client: ClickHouseClient;
  readonly database: string;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly authorization: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createClickHouse(config, { requestTimeoutMs: config.QUERY_CLICKHOUSE_TIMEOUT_MS });
    this.database = config.CLICKHOUSE_DATABASE;
    const url = new URL(config.CLICKHOUSE_URL);
    const timeout = config.QUERY_CLICKHOUSE_TIMEOUT_MS;
    this.pool = new Pool(url.origin, { connections: CONNECTIONS, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 5_000) });
    const params = new URLSearchParams({ database: config.CLICKHOUSE_DATABASE, default_format: 'JSONEachRow' });
    this.path = `${url.pathname.replace(/\/+$/, '')}/?${params}`;
    this.authorization = `Basic ${Buffer.from(`${config.CLICKHOUSE_USER}:${config.CLICKHOUSE_PASSWORD}`).toString('base64')}`;
  }

  async rows<T>(name: string, query: string): Promise<T[]> {
    const stop = queryTime.startTimer({ query: name });
    try {
      const rows = await this.post<T>(query);
      stop({ outcome: 'ok' });
      return rows;
    } catch (err) {
      stop({ outcome: 'error' });
      if (isUnavailable(err)) {
        this.logger.warn({ err: String(err).slice(0, 1000), query: name }, 'ClickHouse unavailable');
        throw new ServiceUnavailableError();
      }
      this.logger.error({ err: String(err), query: name, sql: query.slice(0, 4000) }, 'ClickHouse rejected a query');
      throw new ApiError('INTERNAL_ERROR', 'Internal error');
    }
  }

  /** One statement, its JSONEachRow answer parsed. */
  private async post<T>(query: string): Promise<T[]> {
    const { statusCode, headers, body } = await this.pool.request({
      path: this.path,
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'text/plain; charset=utf-8' },
      body: query,
    });
    const text = await body.text();
    if (statusCode !== 200 || headers['x-clickhouse-exception-code'] !== undefined) {
      throw new ClickHouseQueryError(text.slice(0, 1000), headers['x-clickhouse-exception-code']);
    }
    try {
      return parseJsonEachRow<T>(text);
    } catch {
      // An exception text appended to a started answer (18.16 cannot change the status by then).
      throw new ClickHouseQueryError(text.slice(-1000));
    }
  }

  /**
   * Can the service query? A `SELECT 1` through the request pool, with its credentials and
   * database: ClickHouse's /ping answers without either, so a wrong password or a dropped
   * database looked ready (found in review). A database not created yet counts as reachable: the
   * schema check then says "schema behind" (ingest creates it when it migrates). Not timed in the
   * query histogram.
   */
  async ping(): Promise<boolean> {
    try {
      await this.post('SELECT 1');
      return true;
    } catch (err) {
      return err instanceof ClickHouseQueryError && err.exceptionCode === UNKNOWN_DATABASE;
    }
  }

  /**
   * Closed after the HTTP server (Nest closes it between the destroy and the shutdown hooks), so
   * requests still in flight at SIGTERM finish their statements instead of failing with a 503.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client.close(), this.pool.close()]);
  }
}
