import { CompressionTypes, Kafka, logLevel, Partitioners, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { VoucherEvent } from '@app/contracts';
import { TEST_ENV } from './env';

export const kafka = new Kafka({ clientId: 'test-suite', brokers: TEST_ENV.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

export async function createTopics(topics: string[], partitions = 6, client = kafka): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({
      topic,
      numPartitions: partitions,
      configEntries: [{ name: 'max.message.bytes', value: String(2 * 1024 * 1024) }],
    })),
  });
  await admin.disconnect();
}

export interface RawMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
}

/** Produces events keyed as the contract says (voucher id, or customer id for order.completed). */
export async function produceEvents(topic: string, events: VoucherEvent[], client = kafka): Promise<void> {
  await produceRaw(
    topic,
    events.map((e) => ({ key: e.data.voucher_id ?? e.data.customer_id, value: JSON.stringify(e) })),
    client,
  );
}

export async function produceRaw(topic: string, messages: RawMessage[], client = kafka, compression = CompressionTypes.None): Promise<void> {
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 5_000) {
    await producer.send({ topic, acks: -1, compression, messages: messages.slice(i, i + 5_000) });
  }
  await producer.disconnect();
}

/** Reads a whole topic from the beginning until `count` messages arrived (or the timeout). */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
        if (messages.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

/** Committed offsets of a consumer group per partition ('-1' = none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return Object.fromEntries(result.partitions.map((p) => [p.partition, p.offset]));
}
