/**
 * npm run bench:freshness — how long an event produced to Kafka takes to show in each of the
 * three analytics answers (performance, trends, customers), every one of them cached just before
 * the event was sent. Issue target: within 2 s at p95.
 *
 * Real parts end to end: Kafka, apps/ingest and apps/query (cache on) from the build output, the
 * shared Redis and ClickHouse, a fresh topic, consumer group and database. A background producer
 * keeps ingest busy with another account's events, so flushes are not only the probe's.
 * Reference in the same run: when the probe event is stored in ClickHouse (what ingest alone
 * takes); the rest is the API's share (version bump seen, answer recomputed).
 * Prints a table and writes it to BENCHMARKS.md.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { metricValue } from '../test/support/app-process';
import { startBenchApp } from './lib/apps';
import { ch } from './lib/clickhouse';
import { percentiles } from './lib/percentile';
import { markdownTable, writeBenchmarkSection } from './lib/report';

const SAMPLES = Number(process.env.BENCH_FRESHNESS_SAMPLES ?? 60);
/** Background events per second (another account), produced in 10 sends a second. */
const BACKGROUND_RATE = Number(process.env.BENCH_FRESHNESS_BACKGROUND_RATE ?? 2_000);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const DB = 'voucher_analytics_bench_freshness';
const RUN = Date.now().toString(36);
const TOPIC = `bench-freshness-${RUN}`;
const KEY = 'sk_test_bench_freshness_key';
const ACCOUNT = 'acc_fresh';
const VOUCHER = `v_fresh_${RUN}`;
const INGEST_PORT = 3971;
const QUERY_PORT = 3972;
const POLL_MS = 10;

const log = (m: string) => console.log(`[bench:freshness] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ingest or the query app on this run's topic and database. */
const startApp = (app: 'ingest' | 'query', port: number, env: Record<string, string>) =>
  startBenchApp(app, port, { CLICKHOUSE_DATABASE: DB, KAFKA_TOPIC: TOPIC, KAFKA_DLQ_TOPIC: `${TOPIC}-dlq`, ...env });

function redeemed(account: string, voucher: string, customer: string): { key: string; value: string } {
  const order = `ord_${randomUUID()}`;
  return {
    key: voucher,
    value: JSON.stringify({
      specversion: '1.0',
      id: `evt_${randomUUID()}`,
      source: 'bench-freshness',
      type: 'voucher.redeemed',
      // A second in the past: an open-ended period ends at "now" truncated to the second.
      time: new Date(Date.now() - 1_000).toISOString(),
      datacontenttype: 'application/json',
      data: {
        account_id: account,
        livemode: false,
        voucher_id: voucher,
        voucher_code: 'FRESH',
        customer_id: customer,
        customer_segment: 'premium',
        customer_region: 'Europe',
        order_id: order,
        order_amount: 10_000,
        discount_amount: 1_000,
        currency: 'USD',
        redemption_id: `r_${order}`,
      },
    }),
  };
}

const ENDPOINTS = {
  performance: { path: 'performance', count: (b: any) => b?.performance?.total_uses },
  trends: { path: 'trends?metrics=uses', count: (b: any) => b?.summary?.total_period_uses },
  customers: { path: 'customers', count: (b: any) => b?.customer_insights?.total_customers },
} as const;
type Endpoint = keyof typeof ENDPOINTS;

/**
 * A fixed, date-only period around today: an open-ended one ends at "now" truncated to the
 * second, which is part of the cache key, so its entries would expire every second by themselves
 * and the benchmark could not tell a working invalidation from none.
 */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const PERIOD = { start_date: day(-1), end_date: day(1) };

async function answerCount(endpoint: Endpoint): Promise<number | undefined> {
  const { path } = ENDPOINTS[endpoint];
  const params = new URLSearchParams(PERIOD).toString();
  const res = await fetch(`http://127.0.0.1:${QUERY_PORT}/v1/analytics/vouchers/${VOUCHER}/${path}${path.includes('?') ? '&' : '?'}${params}`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${endpoint}: ${res.status} ${await res.text()}`);
  return ENDPOINTS[endpoint].count(await res.json());
}

/** Cache hits the query app has served so far (its /metrics). */
const cacheHits = () => metricValue(QUERY_PORT, 'query_cache_lookups_total', { result: 'hit' });

const storedCount = async () => Number(await ch(`SELECT count() FROM ${DB}.voucher_events WHERE voucher_id = '${VOUCHER}'`));

/** Background load: another account's redemptions at BACKGROUND_RATE events/s until stopped. */
function backgroundLoad(producer: Producer): { stop: () => Promise<void>; sent: () => number } {
  let running = true;
  let sent = 0;
  const perSend = Math.max(1, Math.round(BACKGROUND_RATE / 10));
  const loop = (async () => {
    while (running && BACKGROUND_RATE > 0) {
      const started = Date.now();
      const messages = Array.from({ length: perSend }, (_, i) => redeemed('acc_background', `v_bg_${(sent + i) % 500}`, `cus_bg_${(sent + i) % 20_000}`));
      await producer.send({ topic: TOPIC, acks: 1, messages });
      sent += perSend;
      await sleep(Math.max(0, 100 - (Date.now() - started)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    sent: () => sent,
  };
}

async function main(): Promise<void> {
  await ch(`DROP DATABASE IF EXISTS ${DB}`);
  const kafka = new Kafka({ clientId: 'bench-freshness', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 6 }, { topic: `${TOPIC}-dlq`, numPartitions: 1 }] });
  await admin.disconnect();

  log('starting ingest (migrates the database) and the query app, cache on');
  const ingest = await startApp('ingest', INGEST_PORT, { KAFKA_CONSUMER_GROUP: `${TOPIC}-ingest` });
  const query = await startApp('query', QUERY_PORT, {
    API_KEYS: `${KEY}:${ACCOUNT}`,
    QUERY_CACHE_ENABLED: 'true',
    RATE_LIMIT_PERFORMANCE: '100000000',
    RATE_LIMIT_TRENDS: '100000000',
    RATE_LIMIT_CUSTOMERS: '100000000',
  });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const background = backgroundLoad(producer);
  const names = Object.keys(ENDPOINTS) as Endpoint[];
  const seen: Record<Endpoint | 'stored' | 'all three', number[]> = { performance: [], trends: [], customers: [], stored: [], 'all three': [] };
  try {
    // The voucher exists before the first probe, so every probe finds its answers cached.
    await producer.send({ topic: TOPIC, acks: -1, messages: [redeemed(ACCOUNT, VOUCHER, 'cus_seed')] });
    while ((await answerCount('performance')) !== 1) await sleep(50);
    for (let i = 0; i < SAMPLES; i++) {
      // Every answer computed, then served from the cache, before the event is sent.
      for (const name of names) await answerCount(name);
      const hitsBefore = await cacheHits();
      for (const name of names) await answerCount(name);
      const hits = (await cacheHits()) - hitsBefore;
      if (hits !== names.length) throw new Error(`probe ${i}: ${hits} of ${names.length} answers came from the cache before the event`);
      const expected = i + 2;
      const started = performance.now();
      await producer.send({ topic: TOPIC, acks: -1, messages: [redeemed(ACCOUNT, VOUCHER, `cus_${i}`)] });
      const pending = new Set<Endpoint | 'stored'>([...names, 'stored']);
      while (pending.size > 0) {
        await Promise.all(
          [...pending].map(async (name) => {
            const n = name === 'stored' ? await storedCount() : await answerCount(name);
            if (n !== undefined && n >= expected) {
              if (n > expected) throw new Error(`${name} counted ${n}, expected ${expected}: an event counted twice`);
              seen[name].push(performance.now() - started);
              pending.delete(name);
            }
          }),
        );
        if (performance.now() - started > 30_000) throw new Error(`sample ${i}: not reflected after 30 s (${[...pending].join(', ')})`);
        if (pending.size > 0) await sleep(POLL_MS);
      }
      seen['all three'].push(Math.max(...names.map((name) => seen[name][i])));
      // Land the next probe at a different point of ingest's flush cycle.
      await sleep(200 + Math.random() * 400);
    }
  } finally {
    await background.stop();
    await producer.disconnect();
    ingest.kill('SIGTERM');
    query.kill('SIGTERM');
  }
  log(`${SAMPLES} probes; ${background.sent().toLocaleString('en')} background events`);

  const fmt = (v: number) => v.toFixed(0);
  const rows: Array<Array<string | number>> = [['produced → reflected (ms)', 'p50', 'p95', 'max', 'target p95']];
  for (const name of ['stored', ...names, 'all three'] as const) {
    const [p50, p95] = percentiles(seen[name], [50, 95]);
    const label = name === 'stored' ? 'stored in ClickHouse (reference: ingest alone)' : name === 'all three' ? 'all three answers' : `${name} answer`;
    rows.push([label, fmt(p50), fmt(p95), fmt(Math.max(...seen[name])), name === 'stored' ? '–' : '≤ 2,000']);
  }
  const table = markdownTable(rows);
  console.log(table);
  writeBenchmarkSection(
    'freshness',
    'Freshness (npm run bench:freshness)',
    `${SAMPLES} probes. Each: the voucher's performance, trends and customer-insights answers (fixed period ${PERIOD.start_date} … ${PERIOD.end_date}) are requested until served from the cache (checked on the query app's hit counter), then one \`voucher.redeemed\` event is produced to Kafka (acks from all replicas; the clock starts before the send), and all three answers are polled every ${POLL_MS} ms until they count it; probes are 200–600 ms apart so they land at different points of ingest's flush cycle. Meanwhile another account's redemptions are produced at ${BACKGROUND_RATE.toLocaleString('en')} events/s (6 partitions). Kafka, apps/ingest and apps/query (cache on) from the build output, Redis and ClickHouse all share the 2 cores. Every answer is also checked to count each event once.

${table}
`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
