import type { EventRow } from '@app/contracts';
import { deadLetterChunks, type DeadLetterPublisher } from '../dead-letter/dead-letter.publisher';
import { ingestMetrics } from '../ingest.metrics';
import type { EventStore } from '../storage/event-store';
import type { FreshnessSignal } from './freshness-signal';
import type { BatchPart, OffsetToCommit } from './group-commit';


export interface BatchFlusherDeps {
  store: Pick<EventStore, 'withoutStored' | 'insert'>;
  deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  freshness: Pick<FreshnessSignal, 'signal'>;
  log: { warn: (obj: object, msg: string) => void };
  /** Parallel insert requests per flush (see EventStore.insert). */
  insertConcurrency?: number;
  /** Test-only fault injection: die between the insert and the offset commit. */
  crashAfterInsert?: boolean;
  /** Backoff between attempts while a dependency is down; grows to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
}

/** kafkajs heartbeat errors meaning this member is, or is about to be, no longer the partitions' owner. */
const MEMBERSHIP_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

/** How often a flush heartbeats while it runs: kafkajs only heartbeats between batches by itself. */
const HEARTBEAT_EVERY_MS = 3_000;

export class FlushAbortedError extends Error {
  constructor() {
    super('flush aborted by shutdown before its batch was durable; offsets not committed');
  }
}

/**
 * Makes one group-commit batch durable, in the order that keeps "nothing lost, nothing doubled":
 * rejects to the dead-letter topic, then fresh rows into ClickHouse, then the offsets. A failed
 * stage is retried with backoff (heartbeating meanwhile), never skipped; a stage that succeeded
 * is not repeated. If an insert failed after ClickHouse had in fact stored it (or goes on storing
 * it after the client gave up), the retry's dedup lookup waits until ClickHouse runs no insert of
 * these partitions any more, then finds the rows and drops them.
 */
export class BatchFlusher {
  private aborted = false;

  constructor(private readonly deps: BatchFlusherDeps) {}

  /** Stops retrying: pending flushes fail, their offsets stay uncommitted and are redelivered. */
  abort(): void {
    this.aborted = true;
  }

  readonly flush = async (parts: BatchPart[]): Promise<void> => {
    const started = process.hrtime.bigint();
    const rows = parts.flatMap((p) => p.rows);
    const rejects = parts.flatMap((p) => p.rejects);
    const source = { topic: parts[0]?.topic ?? '', partitions: [...new Set(parts.map((p) => p.partition))].sort((a, b) => a - b) };

    // Heartbeats keep the membership through a long insert (kafkajs only heartbeats between
    // batches, and the session timeout would hand the partitions to another instance mid-flush).
    // A heartbeat saying the group rebalances, or has dropped us, stops the retries: another
    // insert for partitions that may be someone else's now could store the batch twice. The
    // kafkajs error is rethrown from eachBatch, which makes kafkajs rejoin; the uncommitted batch
    // is redelivered to the partitions' owner.
    let membershipLost: unknown;
    const heartbeat = () =>
      Promise.all(
        parts.map((p) =>
          p.heartbeat().catch((err: { type?: string } | undefined) => {
            if (MEMBERSHIP_ERRORS.has(err?.type ?? '')) membershipLost ??= err;
          }),
        ),
      );
    const assertMember = () => {
      if (membershipLost) throw membershipLost;
    };
    const checks = { beforeAttempt: assertMember, beforeRetry: heartbeat };
    const keepAlive = setInterval(() => void heartbeat(), HEARTBEAT_EVERY_MS);
    let written: EventRow[] = [];
    try {
      await heartbeat(); // kafkajs sends it only once its heartbeat interval has passed: usually free
      // Chunk by chunk, each retried on its own: a chunk already accepted is not sent again.
      for (const chunk of deadLetterChunks(rejects)) await this.retry('dead_letter', checks, () => this.deps.deadLetters.publish(chunk));
      await this.retry('clickhouse', checks, async () => {
        const { fresh, inBatch, stored } = await this.deps.store.withoutStored(rows, source);
        assertMember(); // the lookup may have waited long: are the partitions still ours?
        await this.deps.store.insert(fresh, source, this.deps.insertConcurrency);
        written = fresh;
        if (inBatch) ingestMetrics.duplicates.inc({ where: 'batch' }, inBatch);
        if (stored) ingestMetrics.duplicates.inc({ where: 'stored' }, stored);
      });
    } finally {
      clearInterval(keepAlive);
    }
    if (this.deps.crashAfterInsert && written.length > 0) process.kill(process.pid, 'SIGKILL');
    // Every row of the batch is stored now, by this attempt or by an earlier one whose answer was
    // lost, possibly in a process that died before it could signal: signal them all, or those
    // vouchers' cached answers would outlive their data until the cache TTL.
    await this.deps.freshness.signal(rows);
    await this.commit(parts);

    for (const r of rejects) ingestMetrics.rejected.inc({ reason: r.reason });
    const byType = new Map<string, number>();
    for (const r of written) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    for (const [type, n] of byType) ingestMetrics.inserted.inc({ type }, n);
    ingestMetrics.batchRows.observe(written.length);
    ingestMetrics.flushSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };

  /**
   * One commit attempt. A failed commit only means redelivery, which the dedup lookup makes
   * harmless, so it is logged, never retried in a loop: after a broker restart or a rebalance the
   * old generation's commit can never succeed, and retrying it would hold the partitions'
   * handlers forever.
   */
  private async commit(parts: BatchPart[]): Promise<void> {
    try {
      const offsets: OffsetToCommit[] = parts.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset }));
      if (parts.length > 0) await parts[0].commitOffsets(offsets);
    } catch (err) {
      ingestMetrics.flushRetries.inc({ stage: 'commit' });
      this.deps.log.warn({ err: String(err) }, 'offset commit failed; the batch may be redelivered and will be deduplicated');
    }
  }

  /**
   * Runs `attempt` until it succeeds. Before each attempt `beforeAttempt` may throw to give up
   * (partitions lost); between attempts `beforeRetry` heartbeats.
   */
  private async retry(
    stage: string,
    checks: { beforeAttempt: () => void; beforeRetry: () => Promise<unknown> },
    attempt: () => Promise<void>,
  ): Promise<void> {
    const { initialMs, maxMs } = this.deps.backoff ?? { initialMs: 200, maxMs: 5_000 };
    for (let wait = initialMs; ; wait = Math.min(wait * 2, maxMs)) {
      if (this.aborted) throw new FlushAbortedError();
      checks.beforeAttempt();
      try {
        await attempt();
        return;
      } catch (err) {
        ingestMetrics.flushRetries.inc({ stage });
        this.deps.log.warn({ stage, err: String(err), retryInMs: wait }, 'flush stage failed; retrying');
        await checks.beforeRetry();
        checks.beforeAttempt(); // no point waiting out the backoff for partitions that are gone
        await sleep(wait, () => this.aborted);
      }
    }
  }
}

/** Sleeps up to `ms`, waking early once `stop()` turns true. */
async function sleep(ms: number, stop: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stop()) await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
}
