/** TypeScript view of contract v1; the JSON Schema beside this file is the normative form. */
export const EVENT_TYPES = [
  'voucher.validated',
  'voucher.redeemed',
  'voucher.redemption_rolled_back',
  'order.completed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface VoucherEventData {
  account_id: string;
  livemode: boolean;
  voucher_id?: string;
  voucher_code?: string;
  customer_id: string;
  customer_segment?: string;
  customer_region?: string;
  order_id: string;
  order_amount: number;
  currency: string;
  discount_amount?: number;
  redemption_id?: string;
  result?: 'valid' | 'invalid';
  reason?: string;
}

export interface VoucherEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  time: string;
  datacontenttype?: string;
  data: VoucherEventData;
}

/** Value of the `customer_segment` / `customer_region` columns when the event carries none. */
export const UNKNOWN_DIMENSION = 'unknown';

/**
 * An identifier of contract v1 (event, account, voucher, customer, order ids): the schema's
 * `definitions.identifier`, as one pattern for the API's parameters and bodies. Anything else can
 * name nothing that was stored, and never reaches SQL.
 */
export const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,128}$/;
