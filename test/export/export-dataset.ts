import { uid } from '../fixtures/events';
import type { EventSpec } from './export-helpers';

/** Fully specified events (no hidden defaults), so the oracle sees every field the SQL sees. */
export function ev(
  type: EventSpec['type'],
  time: string,
  d: { account: string; voucher: string; code: string; order: string; customer: string; amount: number; discount?: number; currency?: string; livemode?: boolean; result?: string; reason?: string; segment?: string; region?: string },
): EventSpec {
  const data: Record<string, unknown> = {
    account_id: d.account,
    livemode: d.livemode ?? false,
    voucher_id: d.voucher,
    voucher_code: d.code,
    order_id: d.order,
    customer_id: d.customer,
    order_amount: d.amount,
    currency: d.currency ?? 'USD',
    customer_segment: d.segment ?? 'premium',
    customer_region: d.region ?? 'Europe',
  };
  if (type === 'voucher.redeemed' || type === 'voucher.redemption_rolled_back') {
    data.discount_amount = d.discount ?? 0;
    data.redemption_id = uid('r');
  } else {
    data.discount_amount = undefined;
  }
  if (type === 'voucher.validated') {
    data.result = d.result ?? 'valid';
    if (d.reason) data.reason = d.reason;
  }
  return { type, time, data };
}

/** Also carries XML's markup characters, which the XLSX rows must escape. */
export const HOSTILE_REGION = '+re<g>&"ion"';
export const INJECTION_CODE = '=HYPERLINK("http://evil.example","x")';

/** Two vouchers over 2024-03-01..03, rollbacks, validations, a second currency, a live-mode event and injection strings. */
export function dataset(account: string) {
  const v1 = uid('v');
  const v2 = uid('v');
  const base = { account, voucher: v1, code: 'SPRING24' };
  const hostile = { account, voucher: v2, code: INJECTION_CODE, segment: '=cmd|\' /C calc\'!A0', region: '+re<g>&"ion"' };
  const events: EventSpec[] = [
    ev('voucher.validated', '2024-03-01T09:00:00.250Z', { ...base, order: 'o1', customer: 'cus_a', amount: 10_000 }),
    ev('voucher.redeemed', '2024-03-01T09:01:00Z', { ...base, order: 'o1', customer: 'cus_a', amount: 10_000, discount: 1_000 }),
    ev('voucher.redeemed', '2024-03-01T18:30:00Z', { ...base, order: 'o2', customer: 'cus_b', amount: 25_001, discount: 2_500 }),
    ev('voucher.validated', '2024-03-01T19:00:00Z', { ...base, order: 'o9', customer: 'cus_x', amount: 500, result: 'invalid', reason: 'voucher_expired' }),
    ev('voucher.redeemed', '2024-03-01T20:00:00Z', { ...base, order: 'o7', customer: 'cus_e', amount: 99_999, discount: 9_999, currency: 'EUR' }),
    ev('voucher.redeemed', '2024-03-02T08:00:00Z', { ...base, order: 'o3', customer: 'cus_a', amount: 7_000, discount: 700 }),
    ev('voucher.redemption_rolled_back', '2024-03-02T08:30:00Z', { ...base, order: 'o3', customer: 'cus_a', amount: 7_000, discount: 700 }),
    ev('voucher.validated', '2024-03-02T12:00:00Z', { ...base, order: 'o4', customer: 'cus_c', amount: 4_000 }),
    // live mode: a test key must never see it
    ev('voucher.redeemed', '2024-03-02T12:00:00Z', { ...base, order: 'o8', customer: 'cus_live', amount: 1_000_000, discount: 1, livemode: true }),
    // outside the period
    ev('voucher.redeemed', '2024-03-04T00:00:00Z', { ...base, order: 'o10', customer: 'cus_a', amount: 5_000, discount: 50 }),
    ev('voucher.redeemed', '2024-03-02T10:00:00Z', { ...hostile, order: 'o5', customer: '@evil', amount: 3_333, discount: 333 }),
    ev('voucher.redeemed', '2024-03-02T11:00:00Z', { ...hostile, order: 'o6', customer: '-cus_d', amount: 3_334, discount: 334 }),
  ];
  return { v1, v2, events, period: { start: '2024-03-01', end: '2024-03-03' }, days: ['2024-03-01', '2024-03-02', '2024-03-03'] };
}

/** Events of one voucher, day (UTC) and currency, in the test key's mode. */
export function eventsFor(events: EventSpec[], voucher: string, day: string, currency = 'USD'): EventSpec[] {
  return events.filter(
    (e) => e.data.voucher_id === voucher && e.time.startsWith(day) && e.data.currency === currency && e.data.livemode === false,
  );
}
