import type { TopicPartitionOffset } from 'kafkajs';
import type { EventRow } from '@app/contracts';
import type { RejectedMessage } from './classify-batch';

/** A partition's next offset to read, as committed after a flush. */
export type OffsetToCommit = TopicPartitionOffset;

/** One partition's share of a flush: its rows and rejects, and the offset to commit after. */
export interface BatchPart {
  topic: string;
  partition: number;
  /** Offset of the next message to read once this part is durable (last offset + 1). */
  nextOffset: string;
  rows: EventRow[];
  rejects: RejectedMessage[];
  /** Keeps the consumer's group membership alive while a flush waits on a slow dependency. */
  heartbeat: () => Promise<void>;
  /**
   * Commits offsets through this part's eachBatch payload (any part's can commit all of a flush:
   * they share the consumer group). Unlike consumer.commitOffsets it still commits while the
   * consumer stops: kafkajs silently drops those once disconnect() has begun, so a graceful stop
   * would leave its last batch uncommitted and redelivered.
   */
  commitOffsets: (offsets: OffsetToCommit[]) => Promise<void>;
}

export type FlushFn = (parts: BatchPart[]) => Promise<void>;

interface Waiting {
  part: BatchPart;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit across partitions. kafkajs hands each fetched partition to its own concurrent
 * eachBatch call; each call `enter()`s, parses, then `submit()`s its part and waits. A flush
 * starts when every call that entered has submitted (one fetch = one insert), when the rows
 * reach `maxRows`, or when the oldest part has waited `lingerMs`. Flushes run one at a time.
 * Everything a part's handler does happens inside its eachBatch call, so a rebalance can never
 * separate data from the offsets that cover it.
 */
export class GroupCommit {
  private active = 0;
  private waiting: Waiting[] = [];
  private rows = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly flush: FlushFn,
    private readonly options: { maxRows: number; lingerMs: number },
  ) {}

  /** A handler has started and will call submit() or leave(). */
  enter(): void {
    this.active++;
  }

  /** A handler that entered is not going to submit (for example its batch went stale). */
  leave(): void {
    this.active--;
    this.maybeFlushSoon();
  }

  /** Resolves once the part is durable and its offsets are committed; rejects if the flush failed. */
  submit(part: BatchPart): Promise<void> {
    this.active--;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ part, resolve, reject }));
    this.rows += part.rows.length + part.rejects.length;
    if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.options.lingerMs);
    if (this.rows >= this.options.maxRows) this.flushNow();
    else this.maybeFlushSoon();
    return done;
  }

  get pendingParts(): number {
    return this.waiting.length;
  }

  private maybeFlushSoon(): void {
    if (this.active > 0 || this.waiting.length === 0) return;
    // Sibling handlers of the same fetch start within the same tick; setImmediate lets them enter
    // before we decide that everyone has submitted.
    setImmediate(() => {
      if (this.active === 0 && this.waiting.length > 0) this.flushNow();
    });
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.rows = 0;
    this.running = this.running.then(async () => {
      try {
        await this.flush(batch.map((w) => w.part));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    });
  }
}
