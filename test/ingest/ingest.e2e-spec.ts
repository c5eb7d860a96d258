import { makeEvent, uid } from '../fixtures/events';
import { startApp, metricValue, type AppProcess } from '../support/app-process';
import { eventually, queryRows, testClickHouse } from '../support/clickhouse';
import { CompressionTypes } from 'kafkajs';
import { createTopics, produceEvents, produceRaw, readTopic } from '../support/kafka';

const ch = testClickHouse();

/** Each suite gets its own topics and consumer group, so suites never see each other's data. */
function topicsFor(name: string) {
  const id = uid(name);
  return { KAFKA_TOPIC: `${id}-events`, KAFKA_DLQ_TOPIC: `${id}-dlq`, KAFKA_CONSUMER_GROUP: `${id}-ingest` };
}

const countFor = async (account: string) =>
  Number((await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM voucher_events WHERE account_id = '${account}'`))[0].n);

describe('ingest (real Kafka, ClickHouse, Redis)', () => {
  const env = topicsFor('ingest');
  let ingest: AppProcess;

  beforeAll(async () => {
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
    ingest = await startApp('ingest', env);
  });
  afterAll(async () => {
    await ingest?.stop();
    await ch.close();
  });

  it('stores valid events of all four types once, with every field intact', async () => {
    const account = uid('acc');
    const events = [
      makeEvent('voucher.validated', { account_id: account, result: 'invalid', reason: 'voucher_expired' }),
      makeEvent('voucher.redeemed', {
        account_id: account,
        livemode: true,
        customer_segment: undefined,
        customer_region: 'North America',
        order_amount: 12_345,
        discount_amount: 2_345,
      }),
      makeEvent('voucher.redemption_rolled_back', { account_id: account }, { time: '2024-03-02T01:00:00.5+01:00' }),
      makeEvent('order.completed', { account_id: account, customer_id: 'cus_9' }),
    ];
    await produceEvents(env.KAFKA_TOPIC, events);
    await eventually(() => countFor(account), (n) => n >= 4);

    const rows = await queryRows<Record<string, string | number>>(
      ch,
      `SELECT * FROM voucher_events WHERE account_id = '${account}' ORDER BY type`,
    );
    expect(rows).toHaveLength(4);
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const [validated, redeemed, rolledBack, completed] = events.map((e) => byId.get(e.id)!);

    expect(validated).toMatchObject({
      type: 'voucher.validated',
      source: 'test-suite',
      result: 'invalid',
      reason: 'voucher_expired',
      voucher_id: 'v_test',
      voucher_code: 'SUMMER2024',
      livemode: 0,
      currency: 'USD',
      time: '2024-03-01 10:15:00',
      time_ms: 123,
    });
    expect(redeemed).toMatchObject({
      livemode: 1,
      customer_segment: 'unknown',
      customer_region: 'North America',
      order_amount: '12345',
      discount_amount: '2345',
      redemption_id: events[1].data.redemption_id,
      order_id: events[1].data.order_id,
      kafka_topic: env.KAFKA_TOPIC,
    });
    expect(rolledBack).toMatchObject({ type: 'voucher.redemption_rolled_back', time: '2024-03-02 00:00:00', time_ms: 500 });
    expect(completed).toMatchObject({ type: 'order.completed', voucher_id: '', customer_id: 'cus_9' });
    expect(Number(redeemed.kafka_offset)).toBeGreaterThanOrEqual(0);
  });

  it('stores free-text fields byte for byte: tabs, newlines, backslashes, quotes, non-ASCII', async () => {
    const account = uid('acc');
    const text = {
      source: 'checkout\tEU\n"primary" \\ ünïcødé 🎟️',
      voucher_code: `A\\B "C' D`, // printable ASCII only (the contract): a backslash and both quotes
      customer_segment: 'VIP\tGold',
      customer_region: 'Zürich\r\nNord',
      reason: "expired \\ soon; ' OR 1=1 --",
    };
    const event = makeEvent(
      'voucher.validated',
      { account_id: account, voucher_code: text.voucher_code, customer_segment: text.customer_segment, customer_region: text.customer_region, result: 'invalid', reason: text.reason },
      { source: text.source },
    );
    await produceEvents(env.KAFKA_TOPIC, [event]);
    await eventually(() => countFor(account), (n) => n >= 1);
    const [row] = await queryRows<Record<string, string>>(
      ch,
      `SELECT source, voucher_code, customer_segment, customer_region, reason FROM voucher_events WHERE account_id = '${account}'`,
    );
    expect(row).toEqual(text);
  });

  it('counts an event sent again later exactly once, and a repeat inside one batch once', async () => {
    const account = uid('acc');
    const first = makeEvent('voucher.redeemed', { account_id: account });
    const other = makeEvent('voucher.redeemed', { account_id: account });
    await produceEvents(env.KAFKA_TOPIC, [first, first, other]);
    await eventually(() => countFor(account), (n) => n >= 2);

    // The producer sends the same event again after it was stored (a retry, or a replay).
    const storedBefore = await metricValue(ingest.port, 'ingest_duplicates_dropped_total', { where: 'stored' });
    await produceEvents(env.KAFKA_TOPIC, [first, makeEvent('order.completed', { account_id: account })]);
    await eventually(() => countFor(account), (n) => n >= 3);
    await eventually(
      () => metricValue(ingest.port, 'ingest_duplicates_dropped_total', { where: 'stored' }),
      (n) => n > storedBefore,
    );
    expect(await countFor(account)).toBe(3);
    const perId = await queryRows<{ event_id: string; n: string }>(
      ch,
      `SELECT event_id, count() AS n FROM voucher_events WHERE account_id = '${account}' GROUP BY event_id`,
    );
    expect(perId.every((r) => r.n === '1')).toBe(true);
  });

  it('sends every kind of bad input to the DLQ with a reason while the valid events around it land', async () => {
    const account = uid('acc');
    const good = (n: number) => Array.from({ length: n }, () => makeEvent('voucher.redeemed', { account_id: account }));
    const bad: Array<[string, string | Buffer]> = [
      ['invalid_json', '{"specversion":"1.0",'],
      ['invalid_utf8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
      ['wrong_type', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account, order_amount: '10' as never }))],
      ['missing_field', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account, customer_id: undefined }))],
      ['invalid_value', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account, order_amount: -5 }))],
      ['wrong_type', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account, discount_amount: 1.5 }))],
      ['discount_exceeds_order', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account, discount_amount: 99_999 }))],
      ['unknown_type', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account }, { type: 'voucher.deleted' as never }))],
      ['wrong_specversion', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account }, { specversion: '2.0' as never }))],
      ['invalid_time', JSON.stringify(makeEvent('voucher.redeemed', { account_id: account }, { time: '2024-13-01T00:00:00Z' }))],
      ['too_large', Buffer.alloc(1024 * 1024, 0x61)],
    ];
    const valid = good(5);
    await produceRaw(env.KAFKA_TOPIC, [
      ...valid.slice(0, 2).map((e) => ({ key: e.data.voucher_id, value: JSON.stringify(e) })),
      ...bad.map(([reason, value], i) => ({ key: `k_${i}`, value, headers: { 'x-test-case': reason } })),
      ...valid.slice(2).map((e) => ({ key: e.data.voucher_id, value: JSON.stringify(e) })),
    ]);

    await eventually(() => countFor(account), (n) => n >= 5);
    const dlq = await readTopic(env.KAFKA_DLQ_TOPIC, bad.length);
    expect(dlq).toHaveLength(bad.length);
    const byKey = new Map(dlq.map((m) => [m.key!.toString(), m]));
    bad.forEach(([reason, value], i) => {
      const message = byKey.get(`k_${i}`)!;
      expect(message.headers!['dlq-reason']!.toString()).toBe(reason);
      expect(message.headers!['dlq-detail']!.toString().length).toBeGreaterThan(0);
      expect(message.headers!['dlq-source-topic']!.toString()).toBe(env.KAFKA_TOPIC);
      expect(Number(message.headers!['dlq-source-offset']!.toString())).toBeGreaterThanOrEqual(0);
      expect(message.headers!['x-test-case']!.toString()).toBe(reason); // original headers kept
      expect(Buffer.compare(message.value!, Buffer.from(value))).toBe(0); // original bytes kept
    });
    expect(await countFor(account)).toBe(5);
    // Counted when the flush completes, a moment after its rows become visible.
    await eventually(() => metricValue(ingest.port, 'ingest_events_rejected_total', { reason: 'too_large' }), (n) => n === 1);
  });
});

describe('ingest: a flood of rejects larger than one Kafka record batch', () => {
  const env = topicsFor('dlq-flood');
  let ingest: AppProcess | undefined;

  beforeAll(async () => {
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC]);
  });
  afterAll(async () => {
    await ingest?.stop();
  });

  it('dead-letters all of them without holding the partition (one 4 MB fetch used to be refused forever)', async () => {
    const account = uid('acc');
    // ~20 KB each, all on one partition (one key), produced before ingest starts, so one fetch
    // brings ~4 MB of rejects bound for one dead-letter partition: twice the 2 MiB batch limit.
    const key = 'v_flood';
    const rejects = Array.from({ length: 400 }, () =>
      JSON.stringify({ ...makeEvent('voucher.redeemed', { account_id: account, voucher_id: key, currency: 'usd' }), padding: 'x'.repeat(20_000) }),
    );
    const after = makeEvent('voucher.redeemed', { account_id: account, voucher_id: key });
    for (let i = 0; i < rejects.length; i += 40) await produceRaw(env.KAFKA_TOPIC, rejects.slice(i, i + 40).map((value) => ({ key, value })));
    await produceRaw(env.KAFKA_TOPIC, [{ key, value: JSON.stringify(after) }]);

    ingest = await startApp('ingest', env);
    await eventually(() => countFor(account), (n) => n >= 1, 60_000);
    const dlq = await readTopic(env.KAFKA_DLQ_TOPIC, rejects.length, 60_000);
    expect(dlq).toHaveLength(rejects.length);
    expect(new Set(dlq.map((m) => m.headers!['dlq-source-offset']!.toString())).size).toBe(rejects.length);
    expect(dlq.every((m) => m.headers!['dlq-reason']!.toString() === 'invalid_value')).toBe(true);
    expect(await countFor(account)).toBe(1);
  });
});

describe('ingest: a gzip-compressed event far over the size limit once decompressed', () => {
  const env = topicsFor('dlq-gzip');
  let ingest: AppProcess | undefined;

  beforeAll(async () => {
    await createTopics([env.KAFKA_TOPIC, env.KAFKA_DLQ_TOPIC], 1);
    ingest = await startApp('ingest', env);
  });
  afterAll(async () => {
    await ingest?.stop();
  });

  it('dead-letters it byte for byte (sent uncompressed, the dead letter was refused forever) and goes on', async () => {
    const account = uid('acc');
    // 3 MiB that gzip shrinks to a few KiB: the events topic (2 MiB) takes it compressed.
    const big = JSON.stringify({ ...makeEvent('voucher.redeemed', { account_id: account }), padding: 'x'.repeat(3 * 1024 * 1024) });
    await produceRaw(env.KAFKA_TOPIC, [{ key: 'v_big', value: big }], undefined, CompressionTypes.GZIP);
    await produceEvents(env.KAFKA_TOPIC, [makeEvent('voucher.redeemed', { account_id: account, voucher_id: 'v_big' })]);

    await eventually(() => countFor(account), (n) => n === 1, 30_000);
    const [dead] = await readTopic(env.KAFKA_DLQ_TOPIC, 1);
    expect(dead.headers!['dlq-reason']!.toString()).toBe('too_large');
    expect(dead.value!.equals(Buffer.from(big))).toBe(true);
  });
});
