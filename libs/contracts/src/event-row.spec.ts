import { EVENT_ROW_COLUMNS, toTabSeparated, type EventRow } from './event-row';

const row = (overrides: Partial<EventRow> = {}): EventRow => ({
  event_id: 'evt_1',
  type: 'voucher.redeemed',
  source: 'checkout',
  time: '2024-03-01 10:15:00',
  time_ms: 123,
  account_id: 'acc_1',
  livemode: 1,
  voucher_id: 'v_1',
  voucher_code: 'SUMMER',
  customer_id: 'cus_1',
  customer_segment: 'premium',
  customer_region: 'Europe',
  order_id: 'ord_1',
  order_amount: 10_000,
  discount_amount: 1_000,
  currency: 'USD',
  redemption_id: 'r_1',
  result: '',
  reason: '',
  kafka_topic: 'voucher-events',
  kafka_partition: 2,
  kafka_offset: '42',
  ingested_at: '2024-03-01 10:15:01',
  ...overrides,
});

describe('toTabSeparated', () => {
  it('writes every column once, in EVENT_ROW_COLUMNS order, one line per row', () => {
    expect([...EVENT_ROW_COLUMNS].sort()).toEqual(Object.keys(row()).sort());
    const text = toTabSeparated([row(), row({ event_id: 'evt_2', livemode: 0 })]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0].split('\t')).toEqual(EVENT_ROW_COLUMNS.map((c) => String(row()[c])));
    expect(lines[1].split('\t')[0]).toBe('evt_2');
  });

  it('escapes what would end a field or a row, and nothing else', () => {
    const [line] = toTabSeparated([row({ source: 'a\tb\nc\rd\\e\0f "ü🎟"' })]).split('\n');
    expect(line.split('\t')[2]).toBe('a\\tb\\nc\\rd\\\\e\\0f "ü🎟"');
  });
});
