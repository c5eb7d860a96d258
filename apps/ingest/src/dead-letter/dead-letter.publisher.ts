import { CompressionTypes, type IHeaders, type Producer } from 'kafkajs';
import type { RejectedMessage } from '../pipeline/classify-batch';

/**
 * Bytes of dead letters per produce request. kafkajs puts each partition's share of one send
 * into one record batch, and the broker refuses a batch over the topic's `max.message.bytes`
 * (2 MiB here) whole, with MESSAGE_TOO_LARGE, which is not retriable: one flush of 20k rejects
 * (4–5 MB) would be refused forever and hold every partition. 512 KiB per send keeps every
 * batch far below the limit; a single larger message goes alone.
 */
export const DEAD_LETTER_SEND_BYTES = 512 * 1024;

/** Record overhead besides key, value and headers (varints, timestamps, attributes). */
const RECORD_OVERHEAD_BYTES = 64;

function headerBytes(headers: RejectedMessage['headers']): number {
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) n += name.length + (v === undefined ? 0 : Buffer.byteLength(v));
  }
  return n;
}

/** Approximate bytes of one dead letter on the wire (its own headers plus ours). */
export function deadLetterBytes(r: RejectedMessage): number {
  return (r.key?.length ?? 0) + (r.value?.length ?? 0) + headerBytes(r.headers) + Buffer.byteLength(r.detail) + 256 + RECORD_OVERHEAD_BYTES;
}

/** Splits rejects, in order, into sends of at most DEAD_LETTER_SEND_BYTES each (a larger single message alone). */
export function deadLetterChunks(rejects: RejectedMessage[]): RejectedMessage[][] {
  const chunks: RejectedMessage[][] = [];
  let chunk: RejectedMessage[] = [];
  let bytes = 0;
  for (const r of rejects) {
    const size = deadLetterBytes(r);
    if (chunk.length > 0 && bytes + size > DEAD_LETTER_SEND_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Publishes rejected messages to the dead-letter topic byte for byte (key, value, headers),
 * plus headers saying why and where from, so they can be inspected and replayed. One call is
 * one produce request: callers split large sets with deadLetterChunks.
 *
 * Sent gzip-compressed. The broker checks `max.message.bytes` against the compressed batch, so a
 * producer's gzip-compressed event can be far larger once kafkajs has decompressed it (a 3 MiB
 * `too_large` event fits the 2 MiB events topic); sent uncompressed, its dead letter was refused
 * with MESSAGE_TOO_LARGE, which is not retriable, and the flush retried it forever (found in
 * review). Compressed again, it is about as large as it was on the events topic.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async publish(rejects: RejectedMessage[], failedAt = new Date()): Promise<void> {
    if (rejects.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: rejects.map((r) => ({
        key: r.key,
        value: r.value,
        headers: {
          ...(r.headers as IHeaders),
          'dlq-reason': r.reason,
          'dlq-detail': r.detail,
          'dlq-source-topic': r.topic,
          'dlq-source-partition': String(r.partition),
          'dlq-source-offset': r.offset,
          'dlq-failed-at': failedAt.toISOString(),
        },
      })),
    });
  }
}
