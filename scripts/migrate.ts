import { loadConfig } from '@app/config';
import { createClickHouse, migrate, MIGRATION_REQUEST_TIMEOUT_MS } from '@app/clickhouse';

/** `npm run migrate`: applies pending ClickHouse migrations to CLICKHOUSE_DATABASE. */
async function main(): Promise<void> {
  const config = loadConfig();
  const client = createClickHouse({ ...config, CLICKHOUSE_DATABASE: 'default' }, { requestTimeoutMs: MIGRATION_REQUEST_TIMEOUT_MS });
  const applied = await migrate(client, config.CLICKHOUSE_DATABASE, { cluster: config.CLICKHOUSE_CLUSTER });
  console.log(`migrations: ${applied.length ? applied.map((m) => m.name).join(', ') : 'none pending'} (${config.CLICKHOUSE_DATABASE})`);
  await client.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
