// `docker compose --profile demo up`: produces the deterministic demo events of `npm start`
// (scripts/demo-events.js) to Kafka once, then exits. Re-running is harmless: the event ids are
// fixed per day and index, and ingest drops ids it already stored.
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const { generateDemoEvents } = require('../../scripts/demo-events');

async function main() {
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
  const topic = process.env.KAFKA_TOPIC || 'voucher-events';
  const kafka = new Kafka({ clientId: 'demo-seed', brokers, logLevel: logLevel.WARN, retry: { retries: 10 } });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const events = generateDemoEvents();
  // Message key = voucher id, as the event contract requires (customer id for order.completed).
  await producer.send({ topic, messages: events.map((e) => ({ key: e.data.voucher_id || e.data.customer_id, value: JSON.stringify(e) })) });
  await producer.disconnect();
  console.log(`demo-seed: ${events.length} events produced to ${topic}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
