import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ExportStore, JOB, postWebhook, scheduleWebhookSecret, signWebhook, toStatusBody, WEBHOOK_SIGNATURE_HEADER, type WebhookJobData } from '@app/export-core';
import { counter } from '@app/observability';
import { EXPORT_QUEUE } from './export-worker.providers';

const deliveries = counter('export_webhook_deliveries_total', 'Webhook delivery attempts by outcome', ['outcome']);

/** POSTs the export's status body to the schedule's webhook_url, signed with the schedule's own secret, retried with backoff by BullMQ. */
@Injectable()
export class WebhookNotifier {
  private readonly log = new Logger(WebhookNotifier.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ExportStore,
    @Inject(EXPORT_QUEUE) private readonly queue: Queue,
  ) {}

  async enqueue(exportId: string): Promise<void> {
    const record = await this.store.get(exportId);
    // A webhook belongs to a schedule (its secret is the schedule's); exports without one have none.
    if (!record?.webhook_url || !record.schedule_id) return;
    // Marked once: a repeated call (a redelivered job) must not reset a delivery's attempts.
    if (!record.webhook) await this.store.transition(exportId, [], { webhook: { url: record.webhook_url, status: 'pending', attempts: 0 } });
    const data: WebhookJobData = { export_id: exportId };
    // One delivery job per export (job id), whatever retried path reached here.
    await this.queue.add(JOB.deliverWebhook, data, {
      jobId: `webhook-${exportId}`,
      attempts: this.config.WEBHOOK_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.config.WEBHOOK_BACKOFF_MS },
    });
  }

  async deliver(job: Job<WebhookJobData>): Promise<void> {
    const record = await this.store.get(job.data.export_id);
    if (!record?.webhook_url || !record.schedule_id) return;
    const secret = scheduleWebhookSecret(this.config.WEBHOOK_SIGNING_SECRET, record.schedule_id);
    const body = JSON.stringify(
      toStatusBody(record, {
        publicBaseUrl: this.config.PUBLIC_BASE_URL,
        signingKey: this.config.DOWNLOAD_SIGNING_KEY,
        linkTtlSec: this.config.DOWNLOAD_LINK_TTL_SECONDS,
      }),
    );
    const attempts = job.attemptsMade + 1;
    let status: number | undefined;
    let error: string | undefined;
    try {
      // Only public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS (see webhook-target.ts); no redirects.
      status = await postWebhook(
        record.webhook_url,
        {
          'content-type': 'application/json',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(body, secret),
          'x-voucher-event': `export.${record.status}`,
        },
        body,
        { timeoutMs: this.config.WEBHOOK_TIMEOUT_MS, allowPrivateNetworks: this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
      );
      if (status >= 200 && status < 300) {
        await this.store.transition(record.export_id, [], {
          webhook: { url: record.webhook_url, status: 'delivered', attempts, last_status_code: status, delivered_at: new Date().toISOString() },
        });
        deliveries.inc({ outcome: 'delivered' });
        return;
      }
      error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    deliveries.inc({ outcome: 'retry' });
    await this.store.transition(record.export_id, [], {
      webhook: { url: record.webhook_url, status: 'pending', attempts, last_status_code: status, last_error: error },
    });
    throw new Error(`webhook for ${record.export_id} failed: ${error}`);
  }

  /** After the last attempt: the outcome stays visible on the export. */
  async giveUp(job: Job<WebhookJobData>, err: Error): Promise<void> {
    const record = await this.store.get(job.data.export_id);
    if (!record?.webhook) return;
    deliveries.inc({ outcome: 'failed' });
    this.log.warn(`webhook for ${record.export_id} gave up after ${job.attemptsMade} attempts: ${err.message}`);
    await this.store.transition(record.export_id, [], { webhook: { ...record.webhook, status: 'failed', attempts: job.attemptsMade } });
  }
}
