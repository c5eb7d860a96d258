import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import {
  buildExportRecord,
  enqueueExport,
  exportFilePrefix,
  ExportStore,
  resolveRelativeWindow,
  type ExportStorage,
  type ScheduledExportJobData,
} from '@app/export-core';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { counter } from '@app/observability';
import { EXPORT_QUEUE, EXPORT_STORAGE } from './export-worker.providers';

const expired = counter('export_expired_total', 'Exports whose files were deleted at expiry');

/** The periodic jobs: expiring old exports and turning schedule ticks into ordinary exports. */
@Injectable()
export class ExportMaintenance {
  private readonly log = new Logger(ExportMaintenance.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ExportStore,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    @Inject(EXPORT_QUEUE) private readonly queue: Queue,
  ) {}

  async expireDue(nowMs = Date.now()): Promise<number> {
    let count = 0;
    for (const id of await this.store.dueForExpiry(nowMs)) {
      const record = await this.store.get(id);
      // Every file of the export, not only the one its record names (an orphan of a crashed attempt).
      await this.storage.removeAll(exportFilePrefix(id));
      if (record) {
        const result = await this.store.transition(
          id,
          ['completed'],
          { status: 'expired', expired_at: new Date(nowMs).toISOString() },
          { retainDays: this.config.EXPORT_RECORD_RETENTION_DAYS },
        );
        if (result === 'applied') count++;
      }
      await this.store.clearExpiry(id);
    }
    if (count) {
      expired.inc(count);
      this.log.log(`expired ${count} exports`);
    }
    return count;
  }

  /** One schedule tick. The export id derives from the tick's job id, so a retried tick creates no second export. */
  async runSchedule(job: Job<ScheduledExportJobData>): Promise<void> {
    const schedule = await this.store.getSchedule(job.data.schedule_id);
    if (!schedule) return; // deleted between the tick and now
    const exportId = scheduledExportId(job);
    const { time_period, ...rest } = schedule.export;
    // The window of the tick, not of the moment a (late, or retried) worker runs it: BullMQ's
    // scheduler stamps each job with the instant it was due.
    const tickMs = job.opts.prevMillis ?? job.timestamp;
    const record = buildExportRecord(
      { ...rest, ...resolveRelativeWindow(time_period, rest.timezone, tickMs) },
      { account_id: schedule.account_id, livemode: schedule.livemode },
      { export_id: exportId, schedule_id: schedule.schedule_id, webhook_url: schedule.webhook_url },
    );
    await this.store.create(record);
    await enqueueExport(this.queue, exportId);
  }
}

/** The export one schedule tick creates: named by the tick's job id, so retries and several workers make one. */
export function scheduledExportId(job: Pick<Job, 'id'>): string {
  return `export_${createHash('sha256').update(String(job.id)).digest('hex').slice(0, 16)}`;
}
