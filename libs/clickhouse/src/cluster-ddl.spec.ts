import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerStatements, loadMigrations, splitStatements } from './migrations';

// Cluster mode cannot run here (no Keeper, no second node); these tests pin the DDL it renders.
const DB = 'va';
const CLUSTER = 'analytics';
const SOURCE = readFileSync(join(__dirname, 'migrations/0001_events_and_rollups.sql'), 'utf8');

const TABLES: Record<string, { engine: string; sharded: boolean }> = {
  voucher_events: { engine: 'ReplicatedMergeTree', sharded: true },
  event_ids: { engine: 'ReplicatedReplacingMergeTree', sharded: false },
  voucher_stats_15m: { engine: 'ReplicatedAggregatingMergeTree', sharded: true },
  voucher_dimension_stats_15m: { engine: 'ReplicatedAggregatingMergeTree', sharded: true },
  customer_orders: { engine: 'ReplicatedReplacingMergeTree', sharded: true },
  vouchers: { engine: 'ReplicatedAggregatingMergeTree', sharded: true },
};
const VIEWS: Record<string, string> = {
  event_ids_mv: 'event_ids',
  voucher_stats_15m_mv: 'voucher_stats_15m',
  voucher_dimension_stats_15m_mv: 'voucher_dimension_stats_15m',
  customer_orders_mv: 'customer_orders',
  vouchers_mv: 'vouchers',
};

const squash = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const columnsOf = (sql: string) => squash(sql.slice(sql.indexOf('(') + 1, sql.lastIndexOf(') ENGINE')));

describe('loadMigrations, single node (the default)', () => {
  const expected = splitStatements(SOURCE.replaceAll('{db}', DB));

  it('renders exactly the migration file, with or without an empty cluster', () => {
    expect(loadMigrations(DB)[0].statements).toEqual(expected);
    expect(loadMigrations(DB, {})[0].statements).toEqual(expected);
    expect(loadMigrations(DB, { cluster: '' })[0].statements).toEqual(expected);
  });

  it('keeps the ledger DDL of a single node', () => {
    expect(ledgerStatements(DB)).toEqual([
      'CREATE DATABASE IF NOT EXISTS va',
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS va\.schema_migrations \(.*\)\s+ENGINE = ReplacingMergeTree ORDER BY version$/s),
    ]);
    expect(ledgerStatements(DB).join('\n')).not.toMatch(/CLUSTER|Replicated/);
  });
});

describe('loadMigrations, cluster mode', () => {
  const single = loadMigrations(DB)[0].statements;
  const statements = loadMigrations(DB, { cluster: CLUSTER })[0].statements;
  const find = (prefix: string) => {
    const found = statements.filter((s) => s.startsWith(prefix));
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('runs every statement ON CLUSTER and never as a plain (unreplicated) MergeTree', () => {
    expect(statements).toHaveLength(Object.keys(TABLES).length * 2 + Object.keys(VIEWS).length);
    for (const s of statements) {
      expect(s).toContain(`ON CLUSTER ${CLUSTER} `);
      expect(s).not.toMatch(/ENGINE\s*=\s*(Aggregating|Replacing)?MergeTree\b/);
    }
  });

  it.each(Object.entries(TABLES))('%s: a replicated local table with the same columns, keys and partitions', (table, { engine }) => {
    const local = find(`CREATE TABLE IF NOT EXISTS va.${table}_local ON CLUSTER ${CLUSTER} (`);
    const original = single.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS va.${table} (`))!;
    expect(local).toContain(`ENGINE = ${engine}('/clickhouse/tables/{shard}/va/${table}_local', '{replica}')`);
    expect(columnsOf(local)).toBe(columnsOf(original));
    // ORDER BY / PARTITION BY follow the engine unchanged.
    expect(squash(local.slice(local.indexOf("'{replica}')") + 12))).toBe(squash(original.replace(/^[\s\S]*ENGINE = \w+/, '')));
  });

  it.each(Object.entries(TABLES))('%s: a Distributed table under the name the apps query', (table, { sharded }) => {
    const distributed = find(`CREATE TABLE IF NOT EXISTS va.${table} ON CLUSTER ${CLUSTER} AS va.${table}_local`);
    const key = sharded ? ', cityHash64(account_id)' : '';
    expect(distributed).toMatch(new RegExp(`ENGINE = Distributed\\(${CLUSTER}, va, ${table}_local${key.replace(/[()]/g, '\\$&')}\\)$`));
    // The local table exists before the Distributed table that points at it.
    expect(statements.indexOf(distributed)).toBeGreaterThan(statements.findIndex((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS va.${table}_local `)));
  });

  it.each(Object.entries(VIEWS))('%s reads the local raw table and writes the local rollup', (view, target) => {
    const mv = find(`CREATE MATERIALIZED VIEW IF NOT EXISTS va.${view} ON CLUSTER ${CLUSTER} TO va.${target}_local AS`);
    expect(mv).toMatch(/FROM va\.voucher_events_local\b/);
    // No reference to a Distributed table is left inside a view (it would double-count across shards).
    const refs = [...mv.matchAll(/\bva\.(\w+)/g)].map((m) => m[1]).filter((t) => t !== view);
    for (const ref of refs) expect(ref).toMatch(/_local$/);
    const original = single.find((s) => s.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS va.${view} `))!;
    expect(mv.replace(/_local\b/g, '').replace(` ON CLUSTER ${CLUSTER}`, '')).toBe(original);
  });

  it('replicates the migration ledger to every node', () => {
    const [database, ledger] = ledgerStatements(DB, { cluster: CLUSTER });
    expect(database).toBe(`CREATE DATABASE IF NOT EXISTS va ON CLUSTER ${CLUSTER}`);
    expect(ledger).toContain(`va.schema_migrations ON CLUSTER ${CLUSTER}`);
    // Replica names are unique per shard only; a cluster-wide table needs the shard in its name.
    expect(ledger).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/all/va/schema_migrations', '{shard}-{replica}')");
  });

  it('refuses a cluster name that is not a plain identifier', () => {
    expect(() => loadMigrations(DB, { cluster: 'a; DROP' })).toThrow(/plain identifier/);
  });
});

describe('cluster rewriting of later migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  writeFileSync(
    join(dir, '0001_base.sql'),
    `CREATE TABLE IF NOT EXISTS {db}.t (\n    account_id String,\n    v UInt32\n) ENGINE = ReplacingMergeTree(v)\nORDER BY account_id;\n`,
  );
  writeFileSync(join(dir, '0002_add_column.sql'), `ALTER TABLE {db}.t ADD COLUMN IF NOT EXISTS note String;\n`);

  it('keeps engine arguments after the replication ones', () => {
    const [base] = loadMigrations(DB, { cluster: CLUSTER }, dir);
    expect(base.statements[0]).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/va/t_local', '{replica}', v)");
  });

  it('applies a column change to the local tables and to the Distributed table', () => {
    const [, alter] = loadMigrations(DB, { cluster: CLUSTER }, dir);
    expect(alter.statements).toEqual([
      `ALTER TABLE va.t_local ON CLUSTER ${CLUSTER} ADD COLUMN IF NOT EXISTS note String`,
      `ALTER TABLE va.t ON CLUSTER ${CLUSTER} ADD COLUMN IF NOT EXISTS note String`,
    ]);
    expect(loadMigrations(DB, {}, dir)[1].statements).toEqual(['ALTER TABLE va.t ADD COLUMN IF NOT EXISTS note String']);
  });

  it('writes a bookkeeping INSERT … SELECT into the local table and reads through Distributed', () => {
    const daily = loadMigrations(DB, { cluster: CLUSTER }).find((m) => m.name === '0002_daily_rollup')!.statements;
    const insert = daily.filter((s) => s.startsWith('INSERT'));
    expect(insert).toHaveLength(1);
    expect(insert[0]).toMatch(/^INSERT INTO va\.rollup_coverage_local \(rollup, complete_from, recorded_at\) SELECT /);
    expect(insert[0]).toMatch(/FROM va\.voucher_events$/);
    const view = daily.find((s) => s.startsWith('CREATE MATERIALIZED VIEW'))!;
    expect(view).toContain('TO va.voucher_stats_1d_local AS');
    expect(view).toMatch(/FROM va\.voucher_events_local\b/);
  });

  it('replaces the vouchers view on every node: the new view (reading and writing local tables) before the old one is dropped', () => {
    const replaced = loadMigrations(DB, { cluster: CLUSTER }).find((m) => m.name === '0003_voucher_code_skips_blank')!.statements;
    expect(replaced).toHaveLength(2);
    expect(replaced[0]).toMatch(new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS va\\.vouchers_v2_mv ON CLUSTER ${CLUSTER} TO va\\.vouchers_local AS`));
    expect(replaced[0]).toMatch(/FROM va\.voucher_events_local\b/);
    expect(replaced[1]).toBe(`DROP TABLE IF EXISTS va.vouchers_mv ON CLUSTER ${CLUSTER}`);
  });

  it('rebuilds the customer ledger: new sharded table and local view, the backfill through Distributed (placed by account), then the old view dropped', () => {
    const ledger = loadMigrations(DB, { cluster: CLUSTER }).find((m) => m.name === '0004_customer_ledger_keeps_every_sighting')!.statements;
    expect(ledger.map((s) => s.split(/\s/).slice(0, 3).join(' '))).toEqual([
      'CREATE TABLE IF',
      'CREATE TABLE IF',
      'CREATE MATERIALIZED VIEW',
      'INSERT INTO va.customer_ledger',
      'DROP TABLE IF',
    ]);
    expect(ledger[0]).toContain('ReplicatedReplacingMergeTree');
    expect(ledger[1]).toContain('Distributed(analytics, va, customer_ledger_local, cityHash64(account_id))');
    expect(ledger[2]).toMatch(/TO va\.customer_ledger_local AS[\s\S]*FROM va\.voucher_events_local\b/);
    expect(ledger[3]).toMatch(/^INSERT INTO va\.customer_ledger\s+SELECT\s[\s\S]*\sFROM va\.voucher_events\b(?!_local)/);
    expect(ledger[4]).toBe(`DROP TABLE IF EXISTS va.customer_orders_mv ON CLUSTER ${CLUSTER}`);
  });

  it('refuses to drop a clustered table (its local tables and data would need handling too)', () => {
    const dropTable = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(dropTable, '0001_t.sql'), 'CREATE TABLE IF NOT EXISTS {db}.t (account_id String) ENGINE = MergeTree ORDER BY account_id;\nDROP TABLE IF EXISTS {db}.t;\n');
    expect(() => loadMigrations(DB, { cluster: CLUSTER }, dropTable)).toThrow(/cannot rewrite/);
  });

  it('fails loudly on a statement it cannot rewrite', () => {
    const odd = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(odd, '0001_odd.sql'), 'RENAME TABLE {db}.a TO {db}.b;\n');
    expect(() => loadMigrations(DB, { cluster: CLUSTER }, odd)).toThrow(/cannot rewrite/);
    expect(loadMigrations(DB, {}, odd)[0].statements).toEqual(['RENAME TABLE va.a TO va.b']);
  });
});
