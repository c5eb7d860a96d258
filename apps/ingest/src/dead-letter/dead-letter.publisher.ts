import type { IHeaders, Producer } from 'kafkajs';
import type { RejectedMessage } from '../pipeline/classify-batch';

/**
 * Publishes rejected messages to the dead-letter topic byte for byte (key, value, headers),
 * plus headers saying why and where from, so they can be inspected and replayed.
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
