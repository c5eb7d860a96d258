export { createClickHouse, MIGRATION_REQUEST_TIMEOUT_MS, type ClickHouseConfig } from './clickhouse.factory';
export { migrate, migrateWhenReady, awaitInsertsRunningNow, viewBackfillSql, loadMigrations, ledgerStatements, latestMigrationVersion, appliedMigrationVersion, splitStatements, type Migration, type MigrationOptions } from './migrations';
export { clusterRewriter, replicationPath, LOCAL_SUFFIX } from './cluster-ddl';
export { sqlString, sqlNumber, sqlInt64, sqlStringList, sqlIdentifier } from './sql-literal';
export { parseJsonEachRow } from './json-each-row';
export { EVENT_MS, eventTimeWhere } from './event-time-sql';
export type { ClickHouseClient } from '@clickhouse/client';
