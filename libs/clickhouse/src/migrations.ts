import type { ClickHouseClient } from '@clickhouse/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlIdentifier, sqlNumber, sqlString } from './sql-literal';
import { clusterRewriter } from './cluster-ddl';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export interface MigrationOptions {
  /** ClickHouse cluster name (CLICKHOUSE_CLUSTER); empty or absent = single node, the default. */
  cluster?: string;
  /** Apply pending migrations up to this version only (a staged rollout, or a check of a backfill on data). */
  upTo?: number;
}

const MIGRATIONS_DIR = join(__dirname, 'migrations');

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` lines are comments. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The migration files (NNNN_name.sql) of a directory, in version order. */
function migrationFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/**
 * Reads the versioned files (NNNN_name.sql), in version order, with `{db}` bound to the database.
 * With a cluster, the same files are rewritten for ON CLUSTER / Replicated / Distributed (cluster-ddl.ts).
 */
export function loadMigrations(database: string, options: MigrationOptions = {}, dir = MIGRATIONS_DIR): Migration[] {
  const db = sqlIdentifier(database);
  const forCluster = options.cluster ? clusterRewriter({ database: db, cluster: options.cluster }) : (s: string[]) => s;
  return migrationFiles(dir).map((file) => ({
    version: Number(file.slice(0, 4)),
    name: file.replace(/\.sql$/, ''),
    statements: forCluster(splitStatements(readFileSync(join(dir, file), 'utf8').replaceAll('{db}', db))),
  }));
}

/**
 * `INSERT … SELECT` that fills a view's target table from what its source already holds, as the
 * view itself would have: the view's own SELECT, from the migration that created it (single
 * node). Exact only while nothing writes the source (the bench data; docs/operations.md).
 */
export function viewBackfillSql(database: string, view: string): string {
  const create = loadMigrations(database)
    .flatMap((m) => m.statements)
    .find((st) => st.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${sqlIdentifier(database)}.${view} `));
  const parts = create && /^CREATE MATERIALIZED VIEW IF NOT EXISTS \S+ TO (\S+) AS\s([\s\S]*)$/.exec(create);
  if (!parts) throw new Error(`no migration creates the view ${view}`);
  return `INSERT INTO ${parts[1]} ${parts[2]}`;
}

/** The highest migration version this build ships: a database below it is missing schema the code reads. */
export function latestMigrationVersion(dir = MIGRATIONS_DIR): number {
  return Math.max(0, ...migrationFiles(dir).map((f) => Number(f.slice(0, 4))));
}

/** The versions recorded in a database's migration ledger. */
async function appliedVersions(client: ClickHouseClient, database: string): Promise<Set<number>> {
  const rows = await (
    await client.query({ query: `SELECT DISTINCT version FROM ${sqlIdentifier(database)}.schema_migrations`, format: 'JSONEachRow' })
  ).json<{ version: number }>();
  return new Set(rows.map((r) => Number(r.version)));
}

/** The highest migration a database has applied; 0 when it has no ledger (not migrated, or no such database). */
export async function appliedMigrationVersion(client: ClickHouseClient, database: string): Promise<number> {
  try {
    return Math.max(0, ...(await appliedVersions(client, database)));
  } catch {
    return 0;
  }
}

/** The database and migration-ledger DDL; in cluster mode on every node, the ledger one replicated table. */
export function ledgerStatements(database: string, options: MigrationOptions = {}): string[] {
  const db = sqlIdentifier(database);
  if (!options.cluster) {
    return [
      `CREATE DATABASE IF NOT EXISTS ${db}`,
      `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime)
            ENGINE = ReplacingMergeTree ORDER BY version`,
    ];
  }
  const cluster = sqlIdentifier(options.cluster);
  // No {shard} in the path: one ledger replicated to every node of every shard, whichever node
  // ingest reaches; so the replica name needs the shard too, to be unique across the cluster.
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations ON CLUSTER ${cluster} (version UInt32, name String, applied_at DateTime)
            ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/${db}/schema_migrations', '{shard}-{replica}') ORDER BY version`,
  ];
}

const DROP = /^DROP (TABLE|VIEW) IF EXISTS\b/;

/**
 * Applies pending migrations. Safe to run from several instances at once: every DDL statement is
 * idempotent, the one bookkeeping insert (0002's rollup coverage) tolerates a repeated row, and
 * the ledger is a ReplacingMergeTree, so a race only repeats harmless work.
 *
 * One race is not harmless by itself: a runner that read the ledger before another recorded its
 * migrations replays their `CREATE … IF NOT EXISTS`, which brings back a view a later migration
 * had dropped (0003's `vouchers_mv`, which let blank codes win); had it died before replaying the
 * drop, the view would have stayed for good (found in review). So every run ends by repeating the
 * drops of every migration applied. The rule that makes this safe: a dropped name is never
 * created again by a later migration (migrations.spec.ts checks the shipped ones).
 */
export async function migrate(client: ClickHouseClient, database: string, options: MigrationOptions = {}): Promise<Migration[]> {
  const db = sqlIdentifier(database);
  for (const statement of ledgerStatements(database, options)) await client.command({ query: statement });
  const applied = await appliedVersions(client, database);
  const all = loadMigrations(database, options).filter((m) => m.version <= (options.upTo ?? Infinity));
  const pending = all.filter((m) => !applied.has(m.version));
  for (const migration of pending) {
    for (const statement of migration.statements) {
      await client.command({ query: statement });
      if (/^CREATE MATERIALIZED VIEW\b/.test(statement)) await awaitInsertsRunningNow(client);
    }
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, applied_at)
              VALUES (${sqlNumber(migration.version)}, ${sqlString(migration.name)}, now())`,
    });
  }
  for (const statement of all.flatMap((m) => m.statements).filter((st) => DROP.test(st))) await client.command({ query: statement });
  return pending;
}

/**
 * Waits until every INSERT running now has finished. An INSERT feeds the views that existed when
 * it started: one already running when a view is created writes its rows without it, and if
 * those rows commit after a backfill that follows the view has taken its snapshot (0004), they
 * reach neither. So `migrate` calls this after creating a view, before its next statement.
 * (Ingest's EventStore.awaitRunningInserts is another wait: for any insert of its partitions,
 * including ones that start meanwhile.)
 * Bounded: an INSERT still running after `timeoutMs` fails the migration, which is retried whole
 * (its statements are idempotent). system.processes lists the queries of the server answering.
 */
export async function awaitInsertsRunningNow(client: ClickHouseClient, { timeoutMs = 300_000, pollMs = 100 } = {}): Promise<void> {
  const runningInserts = async () =>
    new Set(
      (
        await (
          await client.query({ query: `SELECT query_id FROM system.processes WHERE lower(substring(query, 1, 6)) = 'insert'`, format: 'JSONEachRow' })
        ).json<{ query_id: string }>()
      ).map((r) => r.query_id),
    );
  const waiting = await runningInserts();
  const giveUpAt = Date.now() + timeoutMs;
  while (waiting.size > 0) {
    const now = await runningInserts();
    for (const id of waiting) if (!now.has(id)) waiting.delete(id);
    if (waiting.size === 0) return;
    if (Date.now() > giveUpAt) throw new Error(`inserts still running after a view was created: ${[...waiting].join(', ')}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Start-up form of `migrate`: waits for ClickHouse (it may still be starting) instead of exiting. */
export async function migrateWhenReady(
  client: ClickHouseClient,
  database: string,
  log: (msg: string) => void = () => undefined,
  attempts = 60,
  options: MigrationOptions = {},
): Promise<Migration[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate(client, database, options);
    } catch (err) {
      if (attempt >= attempts) throw err;
      log(`ClickHouse not ready for migrations (${String(err)}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(attempt * 500, 5_000)));
    }
  }
}
