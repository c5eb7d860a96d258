import { loadConfig, ConfigError } from './load-config';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_TOPIC).toBe('voucher-events');
    expect(config.CLICKHOUSE_DATABASE).toBe('voucher_analytics');
    expect(config.INGEST_MAX_BATCH_ROWS).toBe(50_000);
  });

  it('splits broker lists and coerces numbers', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', INGEST_FLUSH_INTERVAL_MS: '750' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.INGEST_FLUSH_INTERVAL_MS).toBe(750);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ CLICKHOUSE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLICKHOUSE_URL: 'not a url' })).toThrow(/CLICKHOUSE_URL/);
    expect(() => loadConfig({ INGEST_MAX_BATCH_ROWS: '0' })).toThrow(/INGEST_MAX_BATCH_ROWS/);
    expect(() => loadConfig({ CLICKHOUSE_DATABASE: 'x; DROP' })).toThrow(/CLICKHOUSE_DATABASE/);
  });

  it('never prints a secret or a URL password in its error', () => {
    const message = (() => {
      try {
        loadConfig({ DOWNLOAD_SIGNING_KEY: 'short-secret', REDIS_URL: 'redis://user:hunter2@host:notaport' });
      } catch (err) {
        return String((err as Error).message);
      }
      return '';
    })();
    expect(message).toMatch(/DOWNLOAD_SIGNING_KEY/);
    expect(message).not.toMatch(/short-secret|hunter2/);
  });

  it('refuses values that would only fail later: no broker, a port over 65535, a timer over 2^31 - 1 ms', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: ' , ' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ INGEST_FLUSH_INTERVAL_MS: '3000000000' })).toThrow(/INGEST_FLUSH_INTERVAL_MS/);
    expect(loadConfig({ PORT: '65535', INGEST_FLUSH_INTERVAL_MS: String(2 ** 31 - 1) }).PORT).toBe(65_535);
  });

  it('refuses the public development signing secrets in production, for the app that uses them', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'export-worker')).toThrow(/DOWNLOAD_SIGNING_KEY: must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'export-worker')).toThrow(/WEBHOOK_SIGNING_SECRET: must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'query')).toThrow(/DOWNLOAD_SIGNING_KEY: must be set in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', DOWNLOAD_SIGNING_KEY: 'k'.repeat(32) }, 'query')).toThrow(/WEBHOOK_SIGNING_SECRET: must be set in production/);
    const secrets = { DOWNLOAD_SIGNING_KEY: 'k'.repeat(32), WEBHOOK_SIGNING_SECRET: 's'.repeat(32) };
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }, 'export-worker').NODE_ENV).toBe('production');
    // Ingest signs nothing: a deployment need not give it the secrets (least privilege).
    expect(loadConfig({ NODE_ENV: 'production' }, 'ingest').NODE_ENV).toBe('production');
    // Modules re-reading the configuration after the entry point checked it do not repeat the check.
    expect(loadConfig({ NODE_ENV: 'production' }).NODE_ENV).toBe('production');
  });
});
