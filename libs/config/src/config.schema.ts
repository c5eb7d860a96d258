import { z } from 'zod';

/**
 * Capped at 2^31 − 1: Node's timers fire at once (with a warning) beyond it, and no setting here
 * needs more. A larger value is refused at start-up rather than misbehaving later.
 */
const int = (def: number, min = 0) => z.coerce.number().int().min(min).max(2 ** 31 - 1).default(def);
const port = (def: number) => z.coerce.number().int().min(1).max(65_535).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const url = (def: string) => z.string().url().default(def);

/**
 * Every environment variable any app reads, with its default. Parsed once at start-up by
 * `loadConfig`; a bad value stops the process with a message naming the variable.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  KAFKA_BROKERS: z
    .string()
    .min(1)
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .refine((brokers) => brokers.length > 0, 'must name at least one host:port'),
  KAFKA_CLIENT_ID: z.string().min(1).default('voucher-analytics'),
  KAFKA_TOPIC: z.string().min(1).default('voucher-events'),
  KAFKA_DLQ_TOPIC: z.string().min(1).default('voucher-events-dlq'),
  KAFKA_TOPIC_PARTITIONS: int(6, 1),
  KAFKA_CONSUMER_GROUP: z.string().min(1).default('voucher-analytics-ingest'),
  /** How long a silent (crashed) consumer keeps its partitions before the group rebalances. */
  KAFKA_SESSION_TIMEOUT_MS: int(30_000, 6_000),

  CLICKHOUSE_URL: url('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('voucher_analytics'),
  /** Empty = single node. A cluster name switches migrations to ON CLUSTER / Replicated / Distributed. */
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z0-9_]*$/).default(''),

  REDIS_URL: url('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('va:'),

  INGEST_HTTP_PORT: port(3001),
  /** Largest number of rows in one ClickHouse insert. */
  INGEST_MAX_BATCH_ROWS: int(50_000, 1),
  /** Parallel insert requests per flush; ClickHouse runs each on one core. */
  INGEST_INSERT_CONCURRENCY: int(2, 1),
  /** Longest time a received event waits before its batch is flushed. */
  INGEST_FLUSH_INTERVAL_MS: int(200, 1),
  /** Messages larger than this go to the DLQ unparsed. */
  INGEST_MAX_EVENT_BYTES: int(65_536, 256),
  INGEST_SHUTDOWN_TIMEOUT_MS: int(25_000, 1000),
  /** Fault injection for tests only: SIGKILL the process right after an insert, before the offset commit. */
  INGEST_FAULT_CRASH_AFTER_INSERT: bool(false),

  PORT: port(3000),
  EXPORT_WORKER_HTTP_PORT: port(3002),

  // ---- Query API (apps/query) -------------------------------------------------------------
  /** Comma-separated `key:account_id` pairs; `sk_test_` keys see test data, `sk_live_` live data. */
  API_KEYS: z.string().default(''),
  /** Optional file with one `key:account_id` per line (`#` comments); merged with API_KEYS. */
  API_KEYS_FILE: z.string().default(''),
  /** Sliding window shared by every endpoint group's limit. */
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1),
  RATE_LIMIT_PERFORMANCE: int(100, 1),
  RATE_LIMIT_TRENDS: int(100, 1),
  RATE_LIMIT_CUSTOMERS: int(50, 1),
  RATE_LIMIT_VOUCHERS: int(100, 1),
  RATE_LIMIT_EXPORT: int(10, 1),
  /** false = every request goes to ClickHouse (benchmarks measure the uncached path this way). */
  QUERY_CACHE_ENABLED: bool(true),
  /** Upper bound on a cache entry's life; freshness comes from data versions, not from this. */
  QUERY_CACHE_TTL_SECONDS: int(300, 1),
  QUERY_CLICKHOUSE_TIMEOUT_MS: int(10_000, 100),
  /** Redis calls on the request path give up after this, so a stalled Redis costs little. */
  QUERY_REDIS_TIMEOUT_MS: int(250, 10),

  // --- Exports (issue 4): API in apps/query, files made by apps/export-worker ---
  /** BullMQ queue between the export API and the workers. */
  EXPORT_QUEUE_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('exports'),
  /** Export jobs one worker process runs at once (each streams one file). */
  EXPORT_CONCURRENCY: int(2, 1),
  EXPORT_ATTEMPTS: int(3, 1),
  /** First retry delay; doubles on each further attempt. */
  EXPORT_BACKOFF_MS: int(2_000, 0),
  /** A job whose worker stopped renewing its lock for this long is handed to another worker. */
  EXPORT_LOCK_DURATION_MS: int(30_000, 1_000),
  EXPORT_STALLED_INTERVAL_MS: int(30_000, 500),
  /** Shared volume in Kubernetes; API replicas read the files the workers write. */
  EXPORT_DIR: z.string().min(1).default('.local/exports'),
  EXPORT_MAX_RECORDS: int(100_000, 1),
  /** Fractional hours are allowed (tests use seconds-long lifetimes). */
  EXPORT_TTL_HOURS: z.coerce.number().positive().default(24),
  EXPORT_EXPIRY_SWEEP_MS: int(60_000, 100),
  /** How long an expired or failed export's record stays listed; fractional days allowed (tests). */
  EXPORT_RECORD_RETENTION_DAYS: z.coerce.number().positive().default(30),
  // Export creation's rate limit is RATE_LIMIT_EXPORT above (the query API's limiter, group `export`).
  /** HMAC key of signed download links; must be the same on every API replica and worker. */
  DOWNLOAD_SIGNING_KEY: z.string().min(16).default('dev-download-signing-key-change-me'),
  DOWNLOAD_LINK_TTL_SECONDS: int(3_600, 1),
  /** Base of the download_url handed to clients (the public gateway's address in production). */
  PUBLIC_BASE_URL: url('http://127.0.0.1:3000'),
  /** Master key of export webhook signatures: each schedule's own secret (webhook_secret) is derived from it. */
  WEBHOOK_SIGNING_SECRET: z.string().min(16).default('dev-webhook-signing-secret-change-me'),
  WEBHOOK_ATTEMPTS: int(5, 1),
  WEBHOOK_BACKOFF_MS: int(1_000, 0),
  WEBHOOK_TIMEOUT_MS: int(5_000, 100),
  /** Let webhooks reach loopback and private addresses (local development and tests only). */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool(false),
  /** Shortest time between two runs of one schedule: each run is a full export (tests use 1). */
  EXPORT_SCHEDULE_MIN_INTERVAL_SECONDS: int(900, 1),
  /** Schedules one account (and mode) may hold. */
  EXPORT_SCHEDULES_PER_ACCOUNT: int(50, 1),
  /** Fault injection for tests only: pause this long after each chunk written (makes exports slow). */
  EXPORT_FAULT_CHUNK_DELAY_MS: int(0, 0),
});

export type AppConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
