import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
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
addFormats(ajv, ['date-time']);
const validateSchema = ajv.compile<VoucherEvent>(schema);

// RFC 3339 requires an explicit offset ("Z" or ±hh:mm); ajv's date-time format enforces it, this
// extra check keeps the rule obvious and rejects anything Date.parse would read differently.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

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
  if (!RFC3339.test(event.time)) {
    return { ok: false, reason: 'invalid_time', detail: '/time must be RFC 3339 with an offset' };
  }
  const timeMs = Date.parse(event.time);
  if (Number.isNaN(timeMs) || timeMs < 0 || timeMs >= Date.UTC(2106, 0, 1)) {
    return { ok: false, reason: 'invalid_time', detail: '/time is not a representable instant' };
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
