import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { EXPORT_QUEUE_PREFIX, JOB, type ExportJobData, type WebhookJobData } from '@app/export-core';
import { ExportGenerator } from './export-generator.service';
import { ExportMaintenance, scheduledExportId } from './export-maintenance.service';
import { EXPORT_QUEUE, REDIS } from './export-worker.providers';
import { WebhookNotifier } from './webhook-notifier.service';

/**
 * The BullMQ worker. Locks are renewed while a job runs; if this process dies (SIGKILL), the lock
 * lapses after EXPORT_LOCK_DURATION_MS and any worker's stalled check puts the job back in the
 * queue, where the next attempt regenerates the file under a fresh temporary name.
 */
@Injectable()
export class ExportProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(ExportProcessor.name);
  private worker?: Worker;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(EXPORT_QUEUE) private readonly queue: Queue,
    private readonly generator: ExportGenerator,
    private readonly maintenance: ExportMaintenance,
    private readonly webhooks: WebhookNotifier,
  ) {}

  async onModuleInit(): Promise<void> {
    // Not awaited: with Redis away at start-up this would wait for it, the HTTP side (probes,
    // metrics) would never come up and the startup probe would restart the pod in a loop. The
    // command runs once Redis answers; a Redis that restarted without persistence lost the
    // scheduler, so it is put back on every (re)connection as well.
    const schedule = () => void this.ensureExpirySweep().catch((err: Error) => this.log.warn(`expiry sweep not scheduled yet: ${err.message}`));
    if (this.redis.status === 'ready') schedule();
    this.redis.on('ready', schedule);
    this.worker = new Worker(this.config.EXPORT_QUEUE_NAME, (job) => this.process(job), {
      connection: this.redis.duplicate(),
      prefix: EXPORT_QUEUE_PREFIX(this.config.REDIS_KEY_PREFIX),
      concurrency: this.config.EXPORT_CONCURRENCY,
      lockDuration: this.config.EXPORT_LOCK_DURATION_MS,
      stalledInterval: this.config.EXPORT_STALLED_INTERVAL_MS,
      maxStalledCount: 1,
    });
    this.worker.on('failed', (job, err) => void this.onFailed(job, err));
    this.worker.on('error', (err) => this.log.warn(`queue connection: ${err.message}`));
  }

  private ensureExpirySweep() {
    return this.queue.upsertJobScheduler('expire-exports', { every: this.config.EXPORT_EXPIRY_SWEEP_MS }, { name: JOB.expireExports });
  }

  isRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  private async process(job: Job): Promise<void> {
    switch (job.name) {
      case JOB.export:
        return this.recordingFailure(job, () => this.generator.execute((job.data as ExportJobData).export_id));
      case JOB.scheduledExport:
        return this.recordingFailure(job, () => this.maintenance.runSchedule(job));
      case JOB.expireExports:
        await this.maintenance.expireDue();
        return;
      case JOB.deliverWebhook:
        return this.webhooks.deliver(job as Job<WebhookJobData>);
      default:
        throw new UnrecoverableError(`unknown job ${job.name}`);
    }
  }

  /** Retries are BullMQ's; only when none is left does the export (or webhook) record the failure. */
  private async onFailed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = noAttemptLeft(job, err, job.attemptsMade); // in the 'failed' event it counts the one that failed
    this.log.warn(`job ${job.name} ${job.id} attempt ${job.attemptsMade} failed${final ? ' (final)' : ''}: ${err.message}`);
    if (!final) return;
    try {
      if (job.name === JOB.deliverWebhook) await this.webhooks.giveUp(job as Job<WebhookJobData>, err);
      else await this.recordFailure(job);
    } catch (e) {
      this.log.error(`could not record failure of job ${job.id}: ${(e as Error).message}`);
    }
  }

  /**
   * Runs a job whose export must end failed when no attempt is left. The last attempt records the
   * failure itself, before BullMQ moves the job to its failed set: the 'failed' listener runs
   * after that move, and a worker dying in between left the export `processing` (or a tick's
   * `queued`) for good, with no job left to finish it (found in review). The listener's own call
   * then finds it failed already.
   */
  private async recordingFailure(job: Job, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      // In the attempt, attemptsMade does not count it yet.
      if (noAttemptLeft(job, err, job.attemptsMade + 1)) {
        await this.recordFailure(job).catch((e: Error) => this.log.error(`could not record failure of job ${job.id}: ${e.message}`));
      }
      throw err;
    }
  }

  /**
   * The export a job was for becomes `failed` (a no-op when it is already final): an export job's
   * own, or the one a schedule tick stored but could not queue (it would stay `queued` with no job).
   */
  private async recordFailure(job: Job): Promise<void> {
    if (job.name === JOB.export) {
      await this.generator.fail({ export_id: (job.data as ExportJobData).export_id }, { reason: 'Export generation failed' });
    } else if (job.name === JOB.scheduledExport) {
      await this.generator.fail({ export_id: scheduledExportId(job) }, { reason: 'Scheduled export could not be queued' });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // close() waits for running jobs, so a SIGTERM during a deploy finishes the file in hand.
    await this.worker?.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}

/** Will BullMQ give up on `job` after `attempts` failed attempts, the last one with `err`? */
function noAttemptLeft(job: Job, err: unknown, attempts: number): boolean {
  return err instanceof UnrecoverableError || (err as Error)?.name === 'UnrecoverableError' || attempts >= (job.opts.attempts ?? 1);
}
