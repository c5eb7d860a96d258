// `docker compose --profile demo up`: produces the deterministic demo events of `npm start`
// (scripts/demo-events.js) to Kafka once, then exits. Re-running is harmless: the event ids are
// fixed per day and index, and ingest drops ids it already stored.
const { logLevel } = require('kafkajs');
const { produceDemoEvents } = require('../../scripts/demo-events');

async function main() {
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
  const topic = process.env.KAFKA_TOPIC || 'voucher-events';
  const count = await produceDemoEvents({ brokers, topic, logLevel: logLevel.WARN });
  console.log(`demo-seed: ${count} events produced to ${topic}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
