export * from './voucher-event';
export { parseEvent, REJECT_REASONS, type RejectReason, type ParseResult } from './parse-event';
export { EVENT_ROW_COLUMNS, toEventRow, toClickHouseDateTime, toTabSeparated, type EventRow, type KafkaCoordinates } from './event-row';
export { default as voucherEventJsonSchema } from './voucher-event.schema.json';
