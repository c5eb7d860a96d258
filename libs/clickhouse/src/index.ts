export { createClickHouse, type ClickHouseConfig } from './clickhouse.factory';
export { migrate, migrateWhenReady, loadMigrations, splitStatements, type Migration } from './migrations';
export { sqlString, sqlNumber, sqlStringList, sqlIdentifier } from './sql-literal';
export type { ClickHouseClient } from '@clickhouse/client';
