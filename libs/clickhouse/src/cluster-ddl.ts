import { sqlIdentifier } from './sql-literal';

/**
 * Rewrites single-node migration statements for a ClickHouse cluster, so the migration files stay
 * written once, for one node (and ClickHouse 18.16), and cluster mode is derived from them:
 *
 * - `CREATE TABLE {db}.t … ENGINE = XMergeTree …` becomes a replicated local table `{db}.t_local`
 *   (`ReplicatedXMergeTree('/clickhouse/tables/{shard}/<db>/t_local', '{replica}')`) plus a
 *   `Distributed` table under the old name `{db}.t`, so the apps' SQL does not change.
 * - Materialized views read the *local* source table and write the *local* target table: an insert
 *   through `Distributed` lands on one shard's local table and its views fire there, once.
 * - Every DDL statement runs `ON CLUSTER`; an `INSERT … SELECT` into a table sharded by account
 *   (a backfill) goes through its Distributed table, into any other clustered table it writes the
 *   migrating node's local table; `DROP TABLE IF EXISTS` of a view (one a newer view replaced)
 *   drops it on every node.
 *
 * Tables are sharded by account (`cityHash64(account_id)`): one tenant's events, rollups and
 * customer ledger live on one shard, so per-account aggregates never need cross-shard merging of
 * partial states of the same key. A table without `account_id` (event_ids) gets no sharding key:
 * it is only written by its view on each shard and only read through `Distributed`.
 *
 * Unknown statement shapes throw rather than pass through, so a future migration that this
 * rewriter does not understand fails loudly in cluster mode instead of creating a half-cluster.
 */
export const LOCAL_SUFFIX = '_local';

export interface ClusterDdlOptions {
  database: string;
  cluster: string;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w*MergeTree)(?:\(([^)]*)\))?([\s\S]*)$/;
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\.(\w+) TO (\w+)\.(\w+) AS\s([\s\S]*)$/;
const ALTER_TABLE = /^ALTER TABLE (\w+)\.(\w+)\s([\s\S]*)$/;
const INSERT_SELECT = /^INSERT INTO (\w+)\.(\w+)(\s*\([^)]*\))?\s+(SELECT\s[\s\S]*)$/;
const DROP_TABLE = /^DROP TABLE IF EXISTS (\w+)\.(\w+)$/;

/** The ZooKeeper/Keeper path of one replicated table: one replica set per shard. */
export function replicationPath(database: string, table: string): string {
  return `/clickhouse/tables/{shard}/${database}/${table}`;
}

/**
 * A rewriter for one migration run: it remembers the tables earlier statements (and earlier
 * migration files) clustered, so later views and ALTERs point at the right local tables.
 */
export function clusterRewriter(options: ClusterDdlOptions): (statements: string[]) => string[] {
  const cluster = sqlIdentifier(options.cluster);
  sqlIdentifier(options.database);
  const clustered = new Set<string>();
  const sharded = new Set<string>();

  const rewrite = (statement: string): string[] => {
    const table = CREATE_TABLE.exec(statement);
    if (table) {
      const [, database, name, columns, engine, engineArgs, rest] = table;
      const local = name + LOCAL_SUFFIX;
      const replicatedArgs = [`'${replicationPath(database, local)}'`, `'{replica}'`];
      if (engineArgs?.trim()) replicatedArgs.push(engineArgs.trim());
      const shardingKey = /^\s*account_id\s/m.test(columns) ? ', cityHash64(account_id)' : '';
      clustered.add(`${database}.${name}`);
      if (shardingKey) sharded.add(`${database}.${name}`);
      return [
        `CREATE TABLE IF NOT EXISTS ${database}.${local} ON CLUSTER ${cluster} (${columns}) ` +
          `ENGINE = Replicated${engine}(${replicatedArgs.join(', ')})${rest}`,
        `CREATE TABLE IF NOT EXISTS ${database}.${name} ON CLUSTER ${cluster} AS ${database}.${local}\n` +
          `ENGINE = Distributed(${cluster}, ${database}, ${local}${shardingKey})`,
      ];
    }

    const view = CREATE_VIEW.exec(statement);
    if (view) {
      const [, database, name, targetDb, target, select] = view;
      const local = (d: string, t: string) => (clustered.has(`${d}.${t}`) ? `${d}.${t}${LOCAL_SUFFIX}` : `${d}.${t}`);
      // Every clustered table the SELECT names is read locally (FROM and JOIN alike).
      const localSelect = select.replace(/\b(\w+)\.(\w+)\b/g, (_ref, d: string, t: string) => local(d, t));
      return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${name} ON CLUSTER ${cluster} TO ${local(targetDb, target)} AS\n${localSelect}`];
    }

    const alter = ALTER_TABLE.exec(statement);
    if (alter && clustered.has(`${alter[1]}.${alter[2]}`) && /^\s*(ADD|DROP|MODIFY|COMMENT) COLUMN\b/i.test(alter[3])) {
      const [, database, name, change] = alter;
      // A column change must reach the local tables and the Distributed facade alike.
      return [
        `ALTER TABLE ${database}.${name}${LOCAL_SUFFIX} ON CLUSTER ${cluster} ${change}`,
        `ALTER TABLE ${database}.${name} ON CLUSTER ${cluster} ${change}`,
      ];
    }

    const insert = INSERT_SELECT.exec(statement);
    if (insert && clustered.has(`${insert[1]}.${insert[2]}`)) {
      const [, database, name, columns, select] = insert;
      // A backfill of a table sharded by account (0004's ledger) goes through its Distributed
      // table, which places each row on its account's shard (the migrating user's profile makes
      // Distributed inserts synchronous, as ingest's must be: docs/operations.md).
      if (sharded.has(`${database}.${name}`)) return [statement];
      // A bookkeeping row (rollup coverage) goes to the migrating node's shard, whose replicas
      // copy it; the SELECT keeps the Distributed names, so it sees every shard's data, and
      // readers of the Distributed table see the row wherever it landed.
      return [`INSERT INTO ${database}.${name}${LOCAL_SUFFIX}${columns ?? ''} ${select}`];
    }

    const drop = DROP_TABLE.exec(statement);
    if (drop && !clustered.has(`${drop[1]}.${drop[2]}`)) {
      // A materialized view (replaced by a newer one) keeps its name on every node. Dropping a
      // clustered table would need its local tables and data handled too: not supported.
      return [`DROP TABLE IF EXISTS ${drop[1]}.${drop[2]} ON CLUSTER ${cluster}`];
    }

    throw new Error(`cluster mode cannot rewrite this migration statement:\n${statement.slice(0, 200)}`);
  };
  return (statements) => statements.flatMap(rewrite);
}
