import type { Admin } from 'kafkajs';

/** Room for the contract's 1 MB test message plus headers; ingest itself rejects far smaller. */
const MAX_MESSAGE_BYTES = String(2 * 1024 * 1024);

/** Creates the events topic and its dead-letter topic if missing (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor: -1, // the broker's default
      configEntries: [{ name: 'max.message.bytes', value: MAX_MESSAGE_BYTES }],
    })),
  });
}
