import type { ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier, sqlStringList } from '@app/clickhouse';
import type { EventRow } from '@app/contracts';

/** Reads and writes the raw events table; the rollups follow through materialized views. */
export class EventStore {
  private readonly db: string;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    database: string,
  ) {
    this.db = sqlIdentifier(database);
  }

  /**
   * Drops rows whose event id is already stored (Kafka redelivery after a crash, or a producer
   * sending the same event again) and repeats within the batch itself; keeps the first of each id.
   * The lookup goes by the event's own day, the leading key of `event_ids`, so it reads only
   * the days the batch touches however large the table grows.
   */
  async withoutStored(rows: EventRow[]): Promise<{ fresh: EventRow[]; inBatch: number; stored: number }> {
    const firstById = new Map<string, EventRow>();
    for (const row of rows) if (!firstById.has(row.event_id)) firstById.set(row.event_id, row);
    const unique = [...firstById.values()];
    if (unique.length === 0) return { fresh: [], inBatch: rows.length, stored: 0 };

    const days = [...new Set(unique.map((r) => r.time.slice(0, 10)))];
    const result = await this.clickhouse.query({
      query: `SELECT DISTINCT toString(event_date) AS day, event_id AS id FROM ${this.db}.event_ids
              WHERE event_date IN (${sqlStringList(days)}) AND event_id IN (${sqlStringList([...firstById.keys()])})`,
      format: 'JSONEachRow',
      // An IN list of a whole batch is larger than the default 256 KiB query limit.
      clickhouse_settings: { max_query_size: '268435456' },
    });
    const storedKeys = new Set((await result.json<{ day: string; id: string }>()).map(({ day, id }) => `${day}|${id}`));
    const fresh = unique.filter((r) => !storedKeys.has(`${r.time.slice(0, 10)}|${r.event_id}`));
    return { fresh, inBatch: rows.length - unique.length, stored: unique.length - fresh.length };
  }

  async insert(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.clickhouse.insert({ table: `${this.db}.voucher_events`, values: rows, format: 'JSONEachRow' });
  }

  async ping(): Promise<boolean> {
    return (await this.clickhouse.ping()).success;
  }
}
