import type { ClickHouseClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { sqlIdentifier } from '@app/clickhouse';
import { EVENT_ROW_COLUMNS, toTabSeparated, type EventRow } from '@app/contracts';

/** The Kafka partitions a flush covers: its inserts are tagged with them (see awaitRunningInserts). */
export interface InsertSource {
  topic: string;
  partitions: number[];
}

const INSERT_QUERY_ID = 'ingest-insert';

/** `ingest-insert:<topic>:<p1.p2…>:<uuid>`: Kafka topic names cannot contain ':'. */
export function insertQueryId(source: InsertSource): string {
  return `${INSERT_QUERY_ID}:${source.topic}:${source.partitions.join('.')}:${randomUUID()}`;
}

/** Does a running query's id name an ingest insert that writes any of these partitions? */
export function writesAnyOf(queryId: string, source: InsertSource): boolean {
  const [prefix, topic, partitions] = queryId.split(':');
  if (prefix !== INSERT_QUERY_ID || topic !== source.topic || partitions === undefined) return false;
  return partitions.split('.').some((p) => source.partitions.includes(Number(p)));
}

/**
 * Calendar months (UTC) one INSERT may span. ClickHouse since 19.x refuses an insert block that
 * spans more than `max_partitions_per_insert_block` (100) partitions, and voucher_events,
 * event_ids and the 15-minute rollups are partitioned by month (in the server's zone: a UTC month
 * may touch two local ones, hence 50). A valid batch over more months (a merchant's years of
 * order history, a replay) was refused whole on every retry, and ingest stalled (found in review).
 */
export const MAX_MONTHS_PER_INSERT = 50;

/**
 * The inserts a batch is written in: `concurrency` even slices, unless one of them would span
 * more than `maxMonths` months; then whole months, at most `maxMonths` per insert.
 */
export function insertChunks(rows: EventRow[], concurrency: number, maxMonths = MAX_MONTHS_PER_INSERT): EventRow[][] {
  if (rows.length === 0) return [];
  const size = Math.ceil(rows.length / Math.max(1, concurrency));
  const even = Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
  const month = (r: EventRow) => r.time.slice(0, 7);
  // The usual batch spans a few minutes: one pass of string comparisons settles it, without
  // building a month per row on every flush.
  let first = rows[0].time;
  let last = first;
  for (const r of rows) {
    if (r.time < first) first = r.time;
    else if (r.time > last) last = r.time;
  }
  const monthNo = (time: string) => Number(time.slice(0, 4)) * 12 + Number(time.slice(5, 7));
  if (monthNo(last) - monthNo(first) < maxMonths) return even;
  if (even.every((chunk) => new Set(chunk.map(month)).size <= maxMonths)) return even;
  const byMonth = new Map<string, EventRow[]>();
  for (const r of rows) {
    const group = byMonth.get(month(r));
    if (group) group.push(r);
    else byMonth.set(month(r), [r]);
  }
  const months = [...byMonth.keys()].sort();
  return Array.from({ length: Math.ceil(months.length / maxMonths) }, (_, i) => months.slice(i * maxMonths, (i + 1) * maxMonths).flatMap((m) => byMonth.get(m)!));
}

export class InsertsStillRunningError extends Error {
  constructor(queryIds: string[]) {
    super(`inserts of the same partitions still running in ClickHouse: ${queryIds.join(', ')}`);
  }
}

/** Reads and writes the raw events table; the rollups follow through materialized views. */
export class EventStore {
  private readonly db: string;
  private readonly sessionId = `ingest-dedup-${randomUUID()}`;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    database: string,
  ) {
    this.db = sqlIdentifier(database);
  }

  /**
   * Drops rows whose event id is already stored (Kafka redelivery after a crash, or a producer
   * sending the same event again) and repeats within the batch itself; keeps the first of each id.
   *
   * The batch's (day, id) pairs go to a session temporary table and ClickHouse answers which of
   * them `event_ids` already holds. Looking up by the event's own day, the leading key of
   * `event_ids`, reads only the days the batch touches however large the table grows; a literal
   * IN list of 50k ids instead cost ~5x more in 18.16's parser.
   */
  async withoutStored(rows: EventRow[], source: InsertSource): Promise<{ fresh: EventRow[]; inBatch: number; stored: number }> {
    await this.awaitRunningInserts(source);
    const firstById = new Map<string, EventRow>();
    for (const row of rows) if (!firstById.has(row.event_id)) firstById.set(row.event_id, row);
    const unique = [...firstById.values()];
    if (unique.length === 0) return { fresh: [], inBatch: rows.length, stored: 0 };

    // Flushes are sequential, so one session per store is never used concurrently. The table is
    // recreated each time: a failed earlier attempt cannot leave rows behind in it.
    const session_id = this.sessionId;
    await this.clickhouse.command({ query: 'DROP TEMPORARY TABLE IF EXISTS batch_ids', session_id });
    await this.clickhouse.command({
      query: 'CREATE TEMPORARY TABLE batch_ids (event_date Date, event_id String) ENGINE = Memory',
      session_id,
    });
    await this.clickhouse.insert({
      table: 'batch_ids',
      values: unique.map((r) => ({ event_date: r.time.slice(0, 10), event_id: r.event_id })),
      format: 'JSONEachRow',
      session_id,
    });
    const result = await this.clickhouse.query({
      query: `SELECT DISTINCT toString(event_date) AS day, event_id AS id FROM ${this.db}.event_ids
              WHERE event_date IN (SELECT DISTINCT event_date FROM batch_ids)
                AND (event_date, event_id) IN (SELECT event_date, event_id FROM batch_ids)`,
      format: 'JSONEachRow',
      session_id,
    });
    const storedKeys = new Set((await result.json<{ day: string; id: string }>()).map(({ day, id }) => `${day}|${id}`));
    const fresh = storedKeys.size ? unique.filter((r) => !storedKeys.has(`${r.time.slice(0, 10)}|${r.event_id}`)) : unique;
    return { fresh, inBatch: rows.length - unique.length, stored: unique.length - fresh.length };
  }

  /**
   * Inserts in `concurrency` parallel chunks: ClickHouse 18.16 parses an insert on one thread, so
   * two inserts use both cores (~1.5x faster here). Each insert also feeds its six materialized
   * views in parallel (parallel_view_processing) rather than one after another: +7% events/s with
   * one ingest replica and +14% with two in bench:ingest (docs/decisions.md). All chunks settle
   * before a failure is reported; each carries a query id naming its partitions, so that a retry's
   * dedup lookup can wait for one that ClickHouse still runs (awaitRunningInserts).
   */
  async insert(rows: EventRow[], source: InsertSource, concurrency = 1): Promise<void> {
    if (rows.length === 0) return;
    const chunks = insertChunks(rows, concurrency);
    const results = await Promise.allSettled(
      chunks.map((chunk) =>
        this.clickhouse.insert({
          table: `${this.db}.voucher_events`,
          columns: [...EVENT_ROW_COLUMNS],
          values: Readable.from([toTabSeparated(chunk)], { objectMode: false }),
          format: 'TabSeparated',
          query_id: insertQueryId(source),
          clickhouse_settings: { parallel_view_processing: 1 },
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Waits until ClickHouse runs no ingest insert (of this process or any other) that writes these
   * partitions. A failed insert is not always a stopped one: ClickHouse finishes an INSERT whose
   * client gave up (request timeout, lost connection) once it has the data, and an instance that
   * lost its partitions in a rebalance may still be inserting them. A dedup lookup made before
   * such an insert commits would not see its rows, and the batch would be stored twice.
   * system.processes lists the queries of the server answering; in cluster mode every ingest
   * replica must insert through the same node for this to see them all (docs/operations.md).
   */
  async awaitRunningInserts(source: InsertSource, { pollMs = 200, maxWaitMs = 30_000 } = {}): Promise<void> {
    const giveUpAt = Date.now() + maxWaitMs;
    for (;;) {
      const result = await this.clickhouse.query({
        query: `SELECT query_id FROM system.processes WHERE query_id LIKE '${INSERT_QUERY_ID}:%'`,
        format: 'JSONEachRow',
      });
      const running = (await result.json<{ query_id: string }>()).filter((r) => writesAnyOf(r.query_id, source));
      if (running.length === 0) return;
      // Bounded, so the caller's retry loop gets its turn (heartbeat, shutdown, lost partitions)
      // and tries again: an insert whose client vanished mid-body stays listed until ClickHouse's
      // receive timeout, and waiting on it here would hold a SIGTERM past its drain timeout.
      if (Date.now() >= giveUpAt) throw new InsertsStillRunningError(running.map((r) => r.query_id));
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async ping(): Promise<boolean> {
    return (await this.clickhouse.ping()).success;
  }
}
