import type { Admin } from 'kafkajs';

/** Room for the contract's 1 MB test message plus headers; ingest itself rejects far smaller. */
const EVENTS_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
/**
 * A dead letter is the original message plus ~300 bytes of reason headers, so the dead-letter
 * topic must take more than the events topic does, or a message at the events topic's limit
 * could never be dead-lettered (and would hold its partition).
 */
const DEAD_LETTER_MAX_MESSAGE_BYTES = EVENTS_MAX_MESSAGE_BYTES + 64 * 1024;

/** Creates the events topic and its dead-letter topic if missing (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, topics: { events: string; deadLetters: string }, partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: topics.events, maxMessageBytes: EVENTS_MAX_MESSAGE_BYTES },
    { topic: topics.deadLetters, maxMessageBytes: DEAD_LETTER_MAX_MESSAGE_BYTES },
  ].filter(({ topic }) => !existing.has(topic));
  if (wanted.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: wanted.map(({ topic, maxMessageBytes }) => ({
      topic,
      numPartitions: partitions,
      replicationFactor: -1, // the broker's default
      configEntries: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }],
    })),
  });
}
