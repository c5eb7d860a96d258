import { makeEvent } from '../../../test/fixtures/events';
import { parseEvent } from './parse-event';
import { IDENTIFIER } from './voucher-event';
import voucherEventJsonSchema from './voucher-event.schema.json';

const MAX = 65_536;
const parse = (value: unknown) => parseEvent(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), MAX);

describe('parseEvent', () => {
  it.each(['voucher.validated', 'voucher.redeemed', 'voucher.redemption_rolled_back', 'order.completed'] as const)(
    'accepts a valid %s event',
    (type) => {
      const result = parse(makeEvent(type));
      expect(result).toMatchObject({ ok: true, timeMs: Date.UTC(2024, 2, 1, 10, 15, 0, 123) });
    },
  );

  it('accepts an invalid validation with a reason and ignores unknown fields', () => {
    const event = makeEvent('voucher.validated', { result: 'invalid', reason: 'expired', extra: { x: 1 } });
    expect(parse({ ...event, extension: 'x' }).ok).toBe(true);
  });

  it('accepts 29 February of a leap year and fractional seconds', () => {
    const result = parse(makeEvent('order.completed', {}, { time: '2024-02-29T23:59:59.999999+00:00' }));
    expect(result.ok && result.timeMs).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  });

  it('converts any offset to UTC', () => {
    const result = parse(makeEvent('order.completed', {}, { time: '2024-03-01T12:15:00+02:00' }));
    expect(result.ok && result.timeMs).toBe(Date.UTC(2024, 2, 1, 10, 15, 0));
  });

  const rejected: Array<[string, unknown, string]> = [
    ['malformed JSON', '{"specversion": "1.0", ', 'invalid_json'],
    ['a JSON array', '[1,2]', 'wrong_type'],
    ['a string where a number belongs', makeEvent('voucher.redeemed', { order_amount: '100' as unknown as number }), 'wrong_type'],
    ['livemode as a string', makeEvent('voucher.redeemed', { livemode: 'true' as unknown as boolean }), 'wrong_type'],
    ['a missing customer_id', makeEvent('voucher.redeemed', { customer_id: undefined }), 'missing_field'],
    ['a redeemed event without discount_amount', makeEvent('voucher.redeemed', { discount_amount: undefined }), 'missing_field'],
    ['a validation without result', makeEvent('voucher.validated', { result: undefined }), 'missing_field'],
    ['an invalid validation without reason', makeEvent('voucher.validated', { result: 'invalid' }), 'missing_field'],
    ['a valid validation with a reason', makeEvent('voucher.validated', { reason: 'x' }), 'invalid_value'],
    ['a negative amount', makeEvent('voucher.redeemed', { order_amount: -1 }), 'invalid_value'],
    ['an amount over 10^12 minor units', makeEvent('voucher.redeemed', { order_amount: 1e12 + 1, discount_amount: 0 }), 'invalid_value'],
    ['a fractional amount', makeEvent('voucher.redeemed', { discount_amount: 10.5 }), 'wrong_type'],
    ['a discount above the order amount', makeEvent('voucher.redeemed', { discount_amount: 20_000 }), 'discount_exceeds_order'],
    ['an unknown type', makeEvent('voucher.redeemed', {}, { type: 'voucher.created' as never }), 'unknown_type'],
    ['a wrong specversion', makeEvent('voucher.redeemed', {}, { specversion: '0.3' as never }), 'wrong_specversion'],
    ['a timestamp without offset', makeEvent('voucher.redeemed', {}, { time: '2024-03-01T10:15:00' }), 'invalid_time'],
    ['a non-date timestamp', makeEvent('voucher.redeemed', {}, { time: 'yesterday' }), 'invalid_time'],
    ['an impossible date', makeEvent('voucher.redeemed', {}, { time: '2024-02-30T10:15:00Z' }), 'invalid_time'],
    ['29 February of a common year', makeEvent('voucher.redeemed', {}, { time: '2023-02-29T10:15:00Z' }), 'invalid_time'],
    ['hour 24', makeEvent('voucher.redeemed', {}, { time: '2024-03-01T24:00:00Z' }), 'invalid_time'],
    ['an offset of 25 hours', makeEvent('voucher.redeemed', {}, { time: '2024-03-01T10:00:00+25:00' }), 'invalid_time'],
    ['a date before 1970', makeEvent('voucher.redeemed', {}, { time: '1969-12-31T23:59:59Z' }), 'invalid_time'],
    ['a lower-case currency', makeEvent('voucher.redeemed', { currency: 'usd' }), 'invalid_value'],
    ['an id with spaces', makeEvent('voucher.redeemed', {}, { id: 'evt 1' }), 'invalid_value'],
    ['an over-long id', makeEvent('voucher.redeemed', {}, { id: 'e'.repeat(129) }), 'invalid_value'],
    ['an empty source', makeEvent('voucher.redeemed', {}, { source: '' }), 'invalid_value'],
    ['a control character in voucher_code', makeEvent('voucher.redeemed', { voucher_code: 'A\nB' }), 'invalid_value'],
    ['a 65-char segment', makeEvent('voucher.redeemed', { customer_segment: 's'.repeat(65) }), 'invalid_value'],
  ];

  it.each(rejected)('rejects %s', (_name, value, reason) => {
    const result = parse(value);
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok === false && result.detail.length).toBeGreaterThan(0);
  });

  it('accepts amounts up to 10^12 minor units', () => {
    expect(parse(makeEvent('voucher.redeemed', { order_amount: 1e12, discount_amount: 1e12 }))).toMatchObject({ ok: true });
  });

  it('names the missing field in the detail', () => {
    // The reason rule's `if` used to pass when `result` was absent, so the detail named `reason`.
    expect(parse(makeEvent('voucher.validated', { result: undefined }))).toMatchObject({ ok: false, reason: 'missing_field', detail: expect.stringContaining('result') });
    expect(parse(makeEvent('voucher.validated', { result: 'invalid' }))).toMatchObject({ ok: false, reason: 'missing_field', detail: expect.stringContaining('reason') });
  });

  it('rejects invalid UTF-8 without decoding it', () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(parseEvent(bytes, MAX)).toMatchObject({ ok: false, reason: 'invalid_utf8' });
  });

  it('rejects an oversized message before parsing it', () => {
    const big = Buffer.alloc(1024 * 1024, 'a');
    expect(parseEvent(big, MAX)).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('rejects an empty or null message', () => {
    expect(parseEvent(null, MAX)).toMatchObject({ ok: false, reason: 'empty_message' });
    expect(parseEvent(Buffer.alloc(0), MAX)).toMatchObject({ ok: false, reason: 'empty_message' });
  });

  it('IDENTIFIER is the schema\'s identifier definition', () => {
    const { pattern, minLength, maxLength } = voucherEventJsonSchema.definitions.identifier;
    expect(IDENTIFIER.source).toBe(`${pattern.slice(0, -2)}{${minLength},${maxLength}}$`);
  });
});
