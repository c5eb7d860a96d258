import { UNKNOWN_DIMENSION, type VoucherEvent } from './voucher-event';

/** Where a message came from in Kafka; stored beside the data for audit and replay. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

/** One row of the ClickHouse `voucher_events` table (written with toTabSeparated). */
export interface EventRow {
  event_id: string;
  type: VoucherEvent['type'];
  source: string;
  time: string;
  time_ms: number;
  account_id: string;
  livemode: 0 | 1;
  voucher_id: string;
  voucher_code: string;
  customer_id: string;
  customer_segment: string;
  customer_region: string;
  order_id: string;
  order_amount: number;
  discount_amount: number;
  currency: string;
  redemption_id: string;
  result: string;
  reason: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: string;
}

/** ClickHouse DateTime text ("YYYY-MM-DD hh:mm:ss", UTC) for an epoch-millisecond instant. */
export function toClickHouseDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function toEventRow(event: VoucherEvent, timeMs: number, at: KafkaCoordinates, ingestedAt: string): EventRow {
  const d = event.data;
  return {
    event_id: event.id,
    type: event.type,
    source: event.source,
    time: toClickHouseDateTime(timeMs),
    time_ms: ((timeMs % 1000) + 1000) % 1000,
    account_id: d.account_id,
    livemode: d.livemode ? 1 : 0,
    voucher_id: d.voucher_id ?? '',
    voucher_code: d.voucher_code ?? '',
    customer_id: d.customer_id,
    customer_segment: d.customer_segment || UNKNOWN_DIMENSION,
    customer_region: d.customer_region || UNKNOWN_DIMENSION,
    order_id: d.order_id,
    order_amount: d.order_amount,
    discount_amount: d.discount_amount ?? 0,
    currency: d.currency,
    redemption_id: d.redemption_id ?? '',
    result: d.result ?? '',
    reason: d.reason ?? '',
    kafka_topic: at.topic,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: ingestedAt,
  };
}

/** The columns of an EventRow in the order `toTabSeparated` writes them. */
export const EVENT_ROW_COLUMNS = [
  'event_id',
  'type',
  'source',
  'time',
  'time_ms',
  'account_id',
  'livemode',
  'voucher_id',
  'voucher_code',
  'customer_id',
  'customer_segment',
  'customer_region',
  'order_id',
  'order_amount',
  'discount_amount',
  'currency',
  'redemption_id',
  'result',
  'reason',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'ingested_at',
] as const satisfies ReadonlyArray<keyof EventRow>;

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIAL_ALL = new RegExp(TSV_SPECIAL.source, 'g');
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One field as ClickHouse's TabSeparated input reads it back unchanged. */
function tsvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]) : value;
}

/**
 * The rows as ClickHouse TabSeparated text, columns in EVENT_ROW_COLUMNS order. Ingest inserts in
 * this format rather than JSONEachRow: the same data for less CPU on the one Node core that
 * bounds ingest (measured 4.3 against 7.8 µs per row to encode, with the same ClickHouse time).
 */
export function toTabSeparated(rows: readonly EventRow[]): string {
  let text = '';
  for (const row of rows) text += EVENT_ROW_COLUMNS.map((column) => tsvField(row[column])).join('\t') + '\n';
  return text;
}
