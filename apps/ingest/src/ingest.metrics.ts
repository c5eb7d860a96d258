import { counter, gauge, histogram } from '@app/observability';
import { REJECT_REASONS } from '@app/contracts';

/** Every metric ingest exports at /metrics, in one place so the names are easy to find. */
export const ingestMetrics = {
  consumed: counter('ingest_events_consumed_total', 'Kafka messages read by ingest'),
  inserted: counter('ingest_events_inserted_total', 'Events written to ClickHouse', ['type']),
  rejected: counter('ingest_events_rejected_total', 'Messages sent to the dead-letter topic', ['reason']),
  duplicates: counter('ingest_duplicates_dropped_total', 'Events dropped because their id was already stored', ['where']),
  batchRows: histogram('ingest_batch_rows', 'Rows per ClickHouse insert', [10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000]),
  flushSeconds: histogram('ingest_flush_duration_seconds', 'Time to make one batch durable (DLQ, dedup, insert, commit)', [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ]),
  flushRetries: counter('ingest_flush_retries_total', 'Flush attempts that failed and were retried', ['stage']),
  freshnessPending: gauge('ingest_freshness_pending_vouchers', 'Changed vouchers whose data version could not be bumped yet'),
  lag: gauge('ingest_consumer_lag', 'Messages between the committed offset of the group and the high watermark, per partition this member owns', ['topic', 'partition']),
};

for (const reason of REJECT_REASONS) ingestMetrics.rejected.inc({ reason }, 0);
