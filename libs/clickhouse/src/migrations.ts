import type { ClickHouseClient } from '@clickhouse/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlIdentifier, sqlNumber, sqlString } from './sql-literal';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
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

/** Reads the versioned files (NNNN_name.sql), in version order, with `{db}` bound to the database. */
export function loadMigrations(database: string, dir = MIGRATIONS_DIR): Migration[] {
  const db = sqlIdentifier(database);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      statements: splitStatements(readFileSync(join(dir, file), 'utf8').replaceAll('{db}', db)),
    }));
}

/**
 * Applies pending migrations. Safe to run from several instances at once: every statement is
 * idempotent and the ledger is a ReplacingMergeTree, so a race only repeats harmless work.
 */
export async function migrate(client: ClickHouseClient, database: string): Promise<Migration[]> {
  const db = sqlIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime)
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const appliedRows = await (
    await client.query({ query: `SELECT DISTINCT version FROM ${db}.schema_migrations`, format: 'JSONEachRow' })
  ).json<{ version: number }>();
  const applied = new Set(appliedRows.map((r) => Number(r.version)));
  const pending = loadMigrations(database).filter((m) => !applied.has(m.version));
  for (const migration of pending) {
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, applied_at)
              VALUES (${sqlNumber(migration.version)}, ${sqlString(migration.name)}, now())`,
    });
  }
  return pending;
}

/** Start-up form of `migrate`: waits for ClickHouse (it may still be starting) instead of exiting. */
export async function migrateWhenReady(
  client: ClickHouseClient,
  database: string,
  log: (msg: string) => void = () => undefined,
  attempts = 60,
): Promise<Migration[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate(client, database);
    } catch (err) {
      if (attempt >= attempts) throw err;
      log(`ClickHouse not ready for migrations (${String(err)}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(attempt * 500, 5_000)));
    }
  }
}
