import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { ExportStore } from './export-store';
import { JOB, type ExportJobData, type ExportRecord, type ExportSpec } from './export.types';

export const newExportId = () => `export_${randomBytes(8).toString('hex')}`;
export const newScheduleId = () => `sched_${randomBytes(8).toString('hex')}`;

/** A fresh export record (status queued); API requests and schedule runs both build it here. */
export function buildExportRecord(
  spec: ExportSpec,
  owner: { account_id: string; livemode: boolean },
  extra: { export_id?: string; schedule_id?: string; webhook_url?: string; nowMs?: number } = {},
): ExportRecord {
  const now = extra.nowMs ?? Date.now();
  return {
    ...spec,
    export_id: extra.export_id ?? newExportId(),
    account_id: owner.account_id,
    livemode: owner.livemode,
    status: 'queued',
    progress: 0,
    voucher_count: spec.voucher_ids.length,
    created_at: new Date(now).toISOString(),
    // A planning figure for clients' polling, not a promise: exports up to max_records take seconds.
    estimated_completion: new Date(now + 60_000).toISOString(),
    ...(extra.schedule_id ? { schedule_id: extra.schedule_id } : {}),
    ...(extra.webhook_url ? { webhook_url: extra.webhook_url } : {}),
  };
}

/** The job id is the export id, so enqueueing the same export twice is a no-op. */
export async function enqueueExport(queue: Pick<Queue, 'add'>, exportId: string): Promise<void> {
  const data: ExportJobData = { export_id: exportId };
  await queue.add(JOB.export, data, { jobId: exportId });
}

/**
 * Stores a new export and enqueues its job, for a client waiting on the answer. If the job cannot
 * be enqueued after the record was stored (Redis lost between the two calls, queue refusing),
 * the record is marked failed (best effort) before the error goes back to the client, so it is
 * not listed as queued for ever with no job behind it. (Schedule ticks do not use this: their
 * job is retried by BullMQ and enqueues the same export id again.)
 */
export async function submitExport(
  store: Pick<ExportStore, 'create' | 'transition'>,
  queue: Pick<Queue, 'add'>,
  record: ExportRecord,
  options: { retainDays: number },
): Promise<void> {
  await store.create(record);
  try {
    await enqueueExport(queue, record.export_id);
  } catch (err) {
    await store
      .transition(record.export_id, ['queued'], {
        status: 'failed',
        error: { code: 'EXPORT_FAILED', message: 'The export could not be queued; create it again' },
        failed_at: new Date().toISOString(),
      }, { retainDays: options.retainDays })
      .catch(() => undefined);
    throw err;
  }
}
