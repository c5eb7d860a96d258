// Deterministic demo data for `npm start`: a few vouchers of one demo account (test mode) over
// the last 30 days. Ids are fixed per day and index, so seeding again is a no-op (ingest dedups).
const DEMO_ACCOUNT = 'acc_demo';
const VOUCHERS = [
  { id: 'v_demo_summer', code: 'SUMMER2024', weight: 5 },
  { id: 'v_demo_welcome', code: 'WELCOME10', weight: 3 },
  { id: 'v_demo_vip', code: 'VIP25', weight: 1 },
];
const SEGMENTS = ['premium', 'standard', 'new'];
const REGIONS = ['North America', 'Europe', 'Asia Pacific'];

function prng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function generateDemoEvents(now = new Date()) {
  const events = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let day = 29; day >= 0; day--) {
    const dayStart = today - day * 86_400_000;
    const dayKey = new Date(dayStart).toISOString().slice(0, 10).replace(/-/g, '');
    const rand = prng(Number(dayKey));
    for (const voucher of VOUCHERS) {
      const n = Math.floor(voucher.weight * (4 + rand() * 6));
      for (let i = 0; i < n; i++) {
        const at = dayStart + Math.floor(rand() * 86_400_000);
        if (at > now.getTime()) continue;
        const customer = `cus_demo_${Math.floor(rand() * 120)}`;
        const order = `ord_demo_${voucher.id}_${dayKey}_${i}`;
        const amount = 2_000 + Math.floor(rand() * 18_000);
        const discount = Math.round(amount * (voucher.id === 'v_demo_vip' ? 0.25 : 0.1));
        const common = {
          account_id: DEMO_ACCOUNT,
          livemode: false,
          voucher_id: voucher.id,
          voucher_code: voucher.code,
          customer_id: customer,
          customer_segment: SEGMENTS[Math.floor(rand() * SEGMENTS.length)],
          customer_region: REGIONS[Math.floor(rand() * REGIONS.length)],
          order_id: order,
          order_amount: amount,
          currency: 'USD',
        };
        const base = { specversion: '1.0', source: 'demo-seed', datacontenttype: 'application/json' };
        const valid = rand() > 0.15;
        events.push({
          ...base,
          id: `evt_demo_${order}_v`,
          type: 'voucher.validated',
          time: new Date(at).toISOString(),
          data: valid ? { ...common, result: 'valid' } : { ...common, result: 'invalid', reason: 'minimum_order_not_met' },
        });
        if (!valid || rand() < 0.2) continue; // abandoned checkout
        events.push({
          ...base,
          id: `evt_demo_${order}_r`,
          type: 'voucher.redeemed',
          time: new Date(at + 60_000).toISOString(),
          data: { ...common, discount_amount: discount, redemption_id: `r_${order}` },
        });
        if (rand() < 0.05) {
          events.push({
            ...base,
            id: `evt_demo_${order}_rb`,
            type: 'voucher.redemption_rolled_back',
            time: new Date(Math.min(at + 3_600_000, now.getTime())).toISOString(),
            data: { ...common, discount_amount: discount, redemption_id: `r_${order}` },
          });
        }
      }
    }
  }
  return events;
}

/**
 * Produces the demo events to Kafka (used by `npm start` and the compose `demo` profile).
 * Message key = voucher id, customer id for order.completed, as the event contract says.
 */
async function produceDemoEvents({ brokers, topic, logLevel: level }) {
  const { Kafka, Partitioners, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'demo-seed', brokers, logLevel: level ?? logLevel.NOTHING, retry: { retries: 10 } });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const events = generateDemoEvents();
  try {
    await producer.send({
      topic,
      messages: events.map((e) => ({ key: e.data.voucher_id || e.data.customer_id, value: JSON.stringify(e) })),
    });
  } finally {
    await producer.disconnect();
  }
  return events.length;
}

module.exports = { generateDemoEvents, produceDemoEvents, DEMO_ACCOUNT, DEMO_VOUCHERS: VOUCHERS };
