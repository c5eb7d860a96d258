import { UNKNOWN_DIMENSION, type VoucherEvent } from './voucher-event';

/** Where a message came from in Kafka; stored beside the data for audit and replay. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

/** One row of the ClickHouse `voucher_events` table (JSONEachRow). */
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
