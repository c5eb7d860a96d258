import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { randomBytes } from 'node:crypto';
import { exportFileKey, exportFilePrefix, ExportStore, type ExportRecord, type ExportStorage } from '@app/export-core';
import { counter, histogram } from '@app/observability';
import { ExportRowsQuery } from './export-rows.query';
import { writeCsv, writeJson, writeXlsx } from './file-writers';
import { EXPORT_STORAGE } from './export-worker.providers';
import { WebhookNotifier } from './webhook-notifier.service';

const exportsCompleted = counter('export_completed_total', 'Exports that reached completed', ['format']);
const exportsFailed = counter('export_failed_total', 'Exports that ended failed', ['reason']);
const exportRows = counter('export_rows_total', 'Rows written to export files', ['format']);
const exportSeconds = histogram('export_duration_seconds', 'Time to generate one export file', [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120], ['format']);

const TERMINAL = new Set(['completed', 'failed', 'expired']);
const PROGRESS_EVERY_MS = 500;

/** Turns one queued export into a file: count, stream from ClickHouse, write under a temporary name, rename, record. */
@Injectable()
export class ExportGenerator {
  private readonly log = new Logger(ExportGenerator.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ExportStore,
    private readonly rows: ExportRowsQuery,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    private readonly webhooks: WebhookNotifier,
  ) {}

  async execute(exportId: string): Promise<void> {
    const record = await this.store.get(exportId);
    // Redis lost the record (restart without persistence): nothing to report to, so fail the job
    // without retrying rather than writing a file nobody can find.
    if (!record) throw new UnrecoverableError(`export ${exportId} has no metadata (was Redis reset?)`);
    if (TERMINAL.has(record.status)) {
      // A redelivered job of an export that already finished. If the worker died right after
      // recording the outcome, the expiry and the webhook were never arranged; both are
      // idempotent (a sorted-set entry, a job id per export), so arrange any that is missing.
      await this.arrangeAfterOutcome(record);
      return;
    }
    await this.store.transition(exportId, ['queued', 'processing'], { status: 'processing', started_at: new Date().toISOString() });

    const started = Date.now();
    const snapshotSec = Math.floor(started / 1000);
    const vouchers = await this.rows.voucherMeta(record);
    const requested = await this.rows.countRows(record, vouchers, snapshotSec);
    if (requested > this.config.EXPORT_MAX_RECORDS) {
      await this.fail(record, { reason: 'Too many records requested', max_records: this.config.EXPORT_MAX_RECORDS, requested_records: requested });
      return;
    }

    const key = exportFileKey(exportId, record.format, randomBytes(4).toString('hex'));
    await this.storage.removePartials(exportFilePrefix(exportId));
    const writer = await this.storage.createWriter(key);
    let lastProgress = 0;
    const onRows = (n: number) => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS || requested === 0) return;
      lastProgress = now;
      const progress = Math.min(99, Math.floor((n / requested) * 100));
      void this.store.transition(exportId, ['processing'], { progress }).catch(() => undefined);
    };
    let size: number;
    let written: number;
    try {
      const source =
        record.format === 'xlsx'
          ? await this.rows.stream(this.rows.xlsxRowsSql(record, vouchers, snapshotSec), 'TSVRaw')
          : await this.rows.stream(
              this.rows.selectSql(record, vouchers, record.format === 'csv', snapshotSec),
              record.format === 'csv' ? 'CSVWithNames' : 'JSONEachRow',
            );
      const write = { csv: writeCsv, json: writeJson, xlsx: writeXlsx }[record.format];
      written = await write(source, writer.stream, {
        columns: this.rows.columns(record),
        onRows,
        chunkDelayMs: this.config.EXPORT_FAULT_CHUNK_DELAY_MS,
      });
      size = await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }

    const completedAt = Date.now();
    const expiresAt = completedAt + this.config.EXPORT_TTL_HOURS * 3_600_000;
    const result = await this.store.transition(exportId, ['processing', 'queued'], {
      status: 'completed',
      progress: 100,
      completed_at: new Date(completedAt).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
      file_key: key,
      file_size_bytes: size,
      // The rows in the file. The count taken before generating bounds ingested_at like the rows
      // streamed, but ingest stamps a batch when it is fetched and commits it a moment (or, after
      // a ClickHouse outage, minutes) later, so a batch can land between the two (found in review).
      record_count: written,
    });
    if (result === 'missing') {
      await this.storage.delete(key);
      throw new UnrecoverableError(`export ${exportId} metadata vanished while it was generated (was Redis reset?)`);
    }
    if (result === 'refused') {
      // Another attempt recorded its own file first (or the export ended meanwhile): this one's
      // file is nobody's, so it goes.
      await this.storage.delete(key);
      return;
    }
    await this.store.incrementCompletions(exportId);
    await this.store.scheduleExpiry(exportId, expiresAt);
    exportsCompleted.inc({ format: record.format });
    exportRows.inc({ format: record.format }, written);
    exportSeconds.observe({ format: record.format }, (completedAt - started) / 1000);
    this.log.log(`export ${exportId} completed: ${written} rows, ${size} bytes in ${completedAt - started} ms`);
    await this.webhooks.enqueue(exportId);
  }

  private async arrangeAfterOutcome(record: ExportRecord): Promise<void> {
    if (record.status === 'completed' && record.expires_at) await this.store.scheduleExpiry(record.export_id, Date.parse(record.expires_at));
    // `webhook` is marked pending just before its delivery job is added: absent means it never
    // was, pending may mean the worker died between the two. Adding the job again is safe: the
    // queue keeps one job per export id, so a delivery under way is not doubled.
    if ((record.status === 'completed' || record.status === 'failed') && (!record.webhook || record.webhook.status === 'pending')) {
      await this.webhooks.enqueue(record.export_id);
    }
  }

  /** Marks the export failed with the EXPORT_FAILED body (from the last attempt or a limit). */
  async fail(record: Pick<ExportRecord, 'export_id'>, details: Record<string, unknown>): Promise<void> {
    const result = await this.store.transition(
      record.export_id,
      ['queued', 'processing'],
      {
        status: 'failed',
        error: { code: 'EXPORT_FAILED', message: 'Failed to generate export', details },
        failed_at: new Date().toISOString(),
      },
      { retainDays: this.config.EXPORT_RECORD_RETENTION_DAYS },
    );
    if (result !== 'applied') return;
    // No attempt can complete a failed export (its completion is refused, and it deletes its own
    // file); files an earlier attempt renamed but never recorded would otherwise stay for good.
    await this.storage.removeAll(exportFilePrefix(record.export_id));
    exportsFailed.inc({ reason: String(details.reason) });
    await this.webhooks.enqueue(record.export_id);
  }
}
