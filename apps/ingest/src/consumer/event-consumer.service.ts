import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Partitioners, type Admin, type Consumer, type EachBatchPayload, type Kafka, type Producer, type TopicOffsets } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { toClickHouseDateTime } from '@app/contracts';
import { DataVersions } from '@app/freshness';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher';
import { CLICKHOUSE, KAFKA } from '../ingest.providers';
import { ingestMetrics } from '../ingest.metrics';
import { BatchFlusher } from '../pipeline/batch-flusher';
import { classifyBatch } from '../pipeline/classify-batch';
import { FreshnessSignal } from '../pipeline/freshness-signal';
import { GroupCommit, type BatchPart, type OffsetToCommit } from '../pipeline/group-commit';
import { EventStore } from '../storage/event-store';
import { ensureTopics } from './topics';

/**
 * Reads the events topic in batches and hands them to the group-commit pipeline. Offsets are
 * committed by the flush, only after the batch is durable; this class owns the Kafka lifecycle.
 */
@Injectable()
export class EventConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly store: EventStore;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly freshness: FreshnessSignal;
  private readonly flusher: BatchFlusher;
  private readonly groupCommit: GroupCommit;
  private running = false;
  private stopping = false;
  private restarting?: Promise<void>;
  /** A crash arrived while a restart was under way (its own join failed): restart once more. */
  private restartAgain = false;
  /** Counts group joins, so a lag read that a rebalance overtook does not publish old partitions. */
  private joins = 0;
  private lagRead?: Promise<void>;
  /** The partitions this member owns (last group join), whose lag it publishes. */
  private assigned: Record<string, number[]> = {};
  private lagAdmin?: Admin;
  private lagTimer?: NodeJS.Timeout;
  private freshnessTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    versions: DataVersions,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(EventConsumer.name);
    this.store = new EventStore(clickhouse, config.CLICKHOUSE_DATABASE);
    this.consumer = kafka.consumer({
      groupId: config.KAFKA_CONSUMER_GROUP,
      sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.min(3_000, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 3)),
      // ~4 MB per partition is ~9k events: a 6-partition fetch fills one 50k-row insert while
      // keeping the raw fetch buffers, parsed events and insert body well under 300 MB.
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 250,
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.freshness = new FreshnessSignal(
      versions,
      (err, pending) => this.logger.warn({ err: String(err), pending }, 'could not signal changed vouchers to Redis; will retry'),
      // After every attempt, successful or not: a flush's signal that clears the backlog must clear
      // the gauge too (only the timer did, and it skips when nothing is pending, so the gauge and
      // the RedisUnavailable alert stayed up after Redis recovered; found in review).
      (pending) => ingestMetrics.freshnessPending.set(pending),
    );
    versions.onConnected(() => this.freshness.redisConnected());
    this.flusher = new BatchFlusher({
      store: this.store,
      deadLetters: new DeadLetterPublisher(this.producer, config.KAFKA_DLQ_TOPIC),
      freshness: this.freshness,
      log: { warn: (obj, msg) => this.logger.warn(obj, msg) },
      crashAfterInsert: config.INGEST_FAULT_CRASH_AFTER_INSERT,
      insertConcurrency: config.INGEST_INSERT_CONCURRENCY,
    });
    this.groupCommit = new GroupCommit(this.flusher.flush, {
      maxRows: config.INGEST_MAX_BATCH_ROWS,
      lingerMs: config.INGEST_FLUSH_INTERVAL_MS,
    });
  }

  /** True once the consumer has joined its group and is fetching. */
  get isRunning(): boolean {
    return this.running;
  }

  onApplicationBootstrap(): void {
    // Not awaited: the HTTP side (health, metrics) comes up even while Kafka is still starting.
    this.listen();
    void this.start();
    this.lagTimer = setInterval(() => void this.publishLag(), LAG_EVERY_MS);
    this.freshnessTimer = setInterval(() => {
      if (this.freshness.hasPending) void this.freshness.signal();
    }, 1_000);
  }

  /**
   * Once, not per start: start() runs again after a crash kafkajs does not retry, and listeners
   * added there piled up, so the next crash started one restart per earlier start (found in review).
   */
  private listen(): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.running = true;
      // Partitions this member lost in the rebalance must not keep reporting its last lag:
      // only owners publish a value (alerts take the max per partition across pods).
      ingestMetrics.lag.reset();
      this.joins++;
      this.assigned = payload.memberAssignment;
      this.logger.info({ assigned: payload.memberAssignment }, 'joined consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.running = false;
      this.logger.error({ err: String(payload.error), restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && !this.stopping) void this.restart();
    });
  }

  private async start(): Promise<void> {
    const { KAFKA_TOPIC, KAFKA_DLQ_TOPIC, KAFKA_TOPIC_PARTITIONS } = this.config;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const admin = this.kafka.admin();
        try {
          await admin.connect();
          await ensureTopics(admin, { events: KAFKA_TOPIC, deadLetters: KAFKA_DLQ_TOPIC }, KAFKA_TOPIC_PARTITIONS);
        } finally {
          await admin.disconnect().catch(() => undefined); // a failed attempt must not leak its connection
        }
        await this.producer.connect();
        await this.consumer.connect();
        await this.consumer.subscribe({ topic: KAFKA_TOPIC, fromBeginning: true });
        await this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 64,
          eachBatch: (payload) => this.handleBatch(payload),
        });
        this.logger.info({ topic: KAFKA_TOPIC, group: this.config.KAFKA_CONSUMER_GROUP }, 'ingest consumer started');
        return;
      } catch (err) {
        const waitMs = Math.min(attempt * 1_000, 10_000);
        this.logger.warn({ err: String(err), retryInMs: waitMs }, 'could not start the Kafka consumer; retrying');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  /**
   * Lag from the group's committed offsets, on a timer: set only when a batch was fetched (as it
   * was), the gauge froze while a flush was held (a dead-letter topic refusing, ClickHouse away)
   * and the lag alerts stayed silent while events piled up (found in review).
   */
  private publishLag(): Promise<void> {
    // Also after a crash (the last assignment's lag keeps growing then); not while stopping.
    if (this.lagRead || this.stopping || Object.keys(this.assigned).length === 0) return this.lagRead ?? Promise.resolve();
    this.lagRead = this.readLag().finally(() => (this.lagRead = undefined));
    return this.lagRead;
  }

  private async readLag(): Promise<void> {
    const join = this.joins;
    try {
      this.lagAdmin ??= this.kafka.admin();
      await this.lagAdmin.connect();
      for (const [topic, partitions] of Object.entries(this.assigned)) {
        const [ends, [committed]] = await Promise.all([
          this.lagAdmin.fetchTopicOffsets(topic),
          this.lagAdmin.fetchOffsets({ groupId: this.config.KAFKA_CONSUMER_GROUP, topics: [topic] }),
        ]);
        for (const partition of partitions) {
          const end = ends.find((e) => e.partition === partition);
          if (!end) continue;
          const done = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
          const from = done < 0n ? BigInt(end.low) : done; // nothing committed yet: from the start
          if (this.joins !== join) return; // a rebalance came meanwhile: these may be someone else's now
          ingestMetrics.lag.set({ topic, partition: String(partition) }, Number(BigInt(end.high) - from));
        }
      }
    } catch (err) {
      this.logger.debug({ err: String(err) }, 'could not read consumer lag; next tick');
    }
  }

  /**
   * One at a time: a crash during a restart must not start a second one beside it, but it must
   * not be lost either (the restart's own join can fail that way), so it makes the loop go again.
   */
  private restart(): Promise<void> {
    if (this.restarting) {
      this.restartAgain = true;
      return this.restarting;
    }
    this.restarting = (async () => {
      do {
        this.restartAgain = false;
        await this.consumer.disconnect().catch(() => undefined);
        await this.start();
      } while (this.restartAgain && !this.stopping);
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    this.groupCommit.enter();
    let part: BatchPart;
    try {
      ingestMetrics.consumed.inc(batch.messages.length);
      const classified = classifyBatch(
        batch.topic,
        batch.partition,
        batch.messages,
        this.config.INGEST_MAX_EVENT_BYTES,
        toClickHouseDateTime(Date.now()),
      );
      part = {
        topic: batch.topic,
        partition: batch.partition,
        nextOffset: (BigInt(batch.lastOffset()) + 1n).toString(),
        heartbeat,
        commitOffsets: (offsets) => commitOffsetsIfNecessary({ topics: byTopic(offsets) }),
        ...classified,
      };
    } catch (err) {
      this.groupCommit.leave();
      throw err;
    }
    await this.groupCommit.submit(part);
    resolveOffset(batch.lastOffset());
  }

  /** SIGTERM: stop fetching, let the batch in flight flush and commit, then leave the group. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.freshnessTimer);
    clearInterval(this.lagTimer);
    // If a dependency is down the in-flight flush would retry forever: give up after the
    // timeout, uncommitted, so the next owner of the partitions re-reads it.
    const giveUp = setTimeout(() => this.flusher.abort(), this.config.INGEST_SHUTDOWN_TIMEOUT_MS);
    try {
      await this.consumer.disconnect();
    } finally {
      clearTimeout(giveUp);
      this.running = false;
      await this.producer.disconnect().catch(() => undefined);
      // A read in progress could reconnect the client after it was closed: let it end (bounded).
      await Promise.race([this.lagRead, new Promise((r) => setTimeout(r, 5_000).unref())]);
      await this.lagAdmin?.disconnect().catch(() => undefined);
      await this.freshness.signal();
    }
  }
}

/** How often the consumer lag is read from the group's committed offsets. */
const LAG_EVERY_MS = 5_000;

/** The per-topic shape kafkajs commits. */
function byTopic(offsets: OffsetToCommit[]): TopicOffsets[] {
  const topics = new Map<string, TopicOffsets['partitions']>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic) ?? [];
    partitions.push({ partition, offset });
    topics.set(topic, partitions);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
