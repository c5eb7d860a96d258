import Ajv, { type ErrorObject } from 'ajv';
import { isUtf8 } from 'node:buffer';
import schema from './voucher-event.schema.json';
import type { VoucherEvent } from './voucher-event';

/** Why an event was rejected; the set is closed so it can label metrics. */
export const REJECT_REASONS = [
  'empty_message',
  'too_large',
  'invalid_utf8',
  'invalid_json',
  'missing_field',
  'wrong_type',
  'unknown_type',
  'wrong_specversion',
  'invalid_time',
  'invalid_value',
  'discount_exceeds_order',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type ParseResult =
  | { ok: true; event: VoucherEvent; timeMs: number }
  | { ok: false; reason: RejectReason; detail: string };

const ajv = new Ajv({ allErrors: false, strict: false });
// The schema's `format: date-time` is checked by parseRfc3339 below: ajv-formats' check cost
// about as much as the rest of the schema on the ingest hot path.
ajv.addFormat('date-time', true);
const validateSchema = ajv.compile<VoucherEvent>(schema);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch milliseconds of an RFC 3339 date-time with an explicit offset, or NaN. Checks the calendar
 * itself because Date.parse quietly rolls 2024-02-30 over into March.
 */
export function parseRfc3339(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const validDay = day >= 1 && day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]);
  const validOffset = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  if (month < 1 || month > 12 || !validDay || hour > 23 || minute > 59 || second > 59 || !validOffset) return Number.NaN;
  return Date.parse(text.replace(' ', 'T'));
}

function reasonFor(error: ErrorObject): RejectReason {
  const path = error.instancePath;
  if (error.keyword === 'required') return 'missing_field';
  if (error.keyword === 'not') return 'invalid_value';
  if (path === '/specversion') return 'wrong_specversion';
  if (path === '/type' && error.keyword !== 'type') return 'unknown_type';
  if (path === '/time' && error.keyword === 'format') return 'invalid_time';
  if (error.keyword === 'type') return 'wrong_type';
  return 'invalid_value';
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') {
    return `${error.instancePath || '/'} is missing ${String((error.params as { missingProperty: string }).missingProperty)}`;
  }
  if (error.keyword === 'not') return `${error.instancePath} must not have "reason" unless result is "invalid"`;
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`;
}

/**
 * Turns one Kafka message value into a contract-v1 event, or says precisely why it cannot be one.
 * Pure and synchronous: this is the ingest hot path.
 */
export function parseEvent(value: Buffer | null, maxBytes: number): ParseResult {
  if (!value || value.length === 0) return { ok: false, reason: 'empty_message', detail: 'message has no value' };
  if (value.length > maxBytes) {
    return { ok: false, reason: 'too_large', detail: `message is ${value.length} bytes, limit ${maxBytes}` };
  }
  if (!isUtf8(value)) return { ok: false, reason: 'invalid_utf8', detail: 'message value is not valid UTF-8' };

  let candidate: unknown;
  try {
    candidate = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: (err as Error).message.slice(0, 200) };
  }
  if (!validateSchema(candidate)) {
    const error = validateSchema.errors![0];
    return { ok: false, reason: reasonFor(error), detail: describe(error) };
  }
  const event = candidate;
  const timeMs = parseRfc3339(event.time);
  if (Number.isNaN(timeMs)) {
    return { ok: false, reason: 'invalid_time', detail: '/time must be an RFC 3339 date-time with an offset' };
  }
  if (timeMs < 0 || timeMs >= Date.UTC(2106, 0, 1)) {
    return { ok: false, reason: 'invalid_time', detail: '/time is outside what ClickHouse DateTime stores (1970-2105)' };
  }
  const { discount_amount, order_amount } = event.data;
  if (discount_amount !== undefined && discount_amount > order_amount) {
    return {
      ok: false,
      reason: 'discount_exceeds_order',
      detail: `discount_amount ${discount_amount} exceeds order_amount ${order_amount}`,
    };
  }
  return { ok: true, event, timeMs };
}
