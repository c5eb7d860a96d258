import { parseEvent, toEventRow, type EventRow, type RejectReason } from '@app/contracts';

/** The parts of a Kafka message ingest needs (a kafkajs message satisfies this). */
export interface InboundMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** A message that failed validation, with everything the dead-letter topic keeps. */
export interface RejectedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  reason: RejectReason;
  detail: string;
}

export interface ClassifiedBatch {
  rows: EventRow[];
  rejects: RejectedMessage[];
}

/** Splits one partition's messages into ClickHouse rows and dead-letter entries. Pure. */
export function classifyBatch(
  topic: string,
  partition: number,
  messages: readonly InboundMessage[],
  maxEventBytes: number,
  ingestedAt: string,
): ClassifiedBatch {
  const rows: EventRow[] = [];
  const rejects: RejectedMessage[] = [];
  for (const message of messages) {
    const parsed = parseEvent(message.value, maxEventBytes);
    if (parsed.ok) {
      rows.push(toEventRow(parsed.event, parsed.timeMs, { topic, partition, offset: message.offset }, ingestedAt));
    } else {
      rejects.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers ?? {},
        reason: parsed.reason,
        detail: parsed.detail,
      });
    }
  }
  return { rows, rejects };
}
