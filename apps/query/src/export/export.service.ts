import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { ReadStream } from 'node:fs';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { sqlString, sqlStringList } from '@app/clickhouse';
import {
  buildExportRecord,
  CONTENT_TYPES,
  submitExport,
  exportFileName,
  exportPeriod,
  ExportStore,
  toStatusBody,
  verifyDownloadToken,
  type ExportRecord,
  type ExportSpec,
  type ExportStatusBody,
  type ExportStorage,
} from '@app/export-core';
import { ApiError, ClickHouseReader, VoucherNotFoundError, resolveTimeRange, ValidationError, type Tenant } from '../common';
import type { CreateExportDto, ExportCreatedDto, ExportListDto } from './export.dto';
import {
  ExportExpiredError,
  ExportFailedError,
  ExportNotFoundError,
  ExportNotReadyError,
  ExportStoreUnavailableError,
  InvalidDownloadTokenError,
} from './export.errors';
import { EXPORT_QUEUE, EXPORT_STORAGE } from './export.providers';

/** Redis or BullMQ trouble is a 503 for the caller; domain errors pass through unchanged. */
export async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ExportStoreUnavailableError();
  }
}

export interface DownloadFile {
  stream: ReadStream;
  contentType: string;
  fileName: string;
}

@Injectable()
export class ExportService implements OnApplicationShutdown {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ExportStore,
    @Inject(EXPORT_QUEUE) private readonly queue: Queue,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    private readonly clickhouse: ClickHouseReader,
  ) {}

  /** Validates the period and the vouchers, stores the export as queued and enqueues it. */
  async create(tenant: Tenant, body: CreateExportDto): Promise<ExportCreatedDto> {
    const spec = await this.resolveSpec(tenant, body);
    const record = buildExportRecord(spec, { account_id: tenant.accountId, livemode: tenant.livemode });
    await storeCall(() => submitExport(this.store, this.queue, record, { retainDays: this.config.EXPORT_RECORD_RETENTION_DAYS }));
    return {
      export_id: record.export_id,
      status: 'processing',
      estimated_completion: record.estimated_completion.replace(/\.\d{3}Z$/, 'Z'),
      format: record.format,
      voucher_count: record.voucher_count,
      metrics: record.metrics,
    };
  }

  /** Shared by POST /export and schedule creation: defaults, time period (≤ 90 days), voucher existence. */
  async resolveSpec(tenant: Tenant, body: Omit<CreateExportDto, 'time_period'> & { time_period?: CreateExportDto['time_period'] }, checkPeriod = true): Promise<ExportSpec> {
    let period: Pick<ExportSpec, 'time_period' | 'period_ms'> = { time_period: { start: '', end: '' } };
    let timezone: string;
    try {
      const range = resolveTimeRange({ start_date: body.time_period?.start, end_date: body.time_period?.end, timezone: body.timezone });
      timezone = range.timeZone;
      // Shown in whole seconds, covered to the millisecond: the same events as the analytics API.
      if (checkPeriod) period = exportPeriod(range.startMs, range.endMs);
    } catch (err) {
      // The shared parser names query parameters; the export body calls them time_period.start/end.
      if (err instanceof ValidationError && typeof err.details?.parameter === 'string') {
        const parameter = { start_date: 'time_period.start', end_date: 'time_period.end' }[err.details.parameter] ?? err.details.parameter;
        throw new ValidationError(parameter, err.message.replace(/^[^:]+:\s*/, ''));
      }
      throw err;
    }
    await this.assertVouchersExist(tenant, body.voucher_ids);
    return {
      voucher_ids: body.voucher_ids,
      metrics: body.metrics,
      format: body.format ?? 'csv',
      granularity: body.granularity ?? 'day',
      timezone,
      ...(body.currency ? { currency: body.currency } : {}),
      ...period,
    };
  }

  private async assertVouchersExist(tenant: Tenant, ids: string[]): Promise<void> {
    const rows = await this.clickhouse.rows<{ voucher_id: string }>(
      'export_vouchers_exist',
      `SELECT voucher_id FROM vouchers
       WHERE account_id = ${sqlString(tenant.accountId)} AND livemode = ${tenant.livemode ? 1 : 0} AND voucher_id IN (${sqlStringList(ids)})
       GROUP BY voucher_id`,
    );
    const found = new Set(rows.map((r) => r.voucher_id));
    const notFound = ids.filter((id) => !found.has(id));
    if (notFound.length) throw new VoucherNotFoundError(notFound, ids.filter((id) => found.has(id)));
  }

  async status(tenant: Tenant, exportId: string): Promise<ExportStatusBody> {
    return this.body(await this.owned(tenant, exportId));
  }

  /** Cursor `<created_at ms>.<export_id>`: the position of the previous page's last item. */
  async list(tenant: Tenant, limit = 20, cursor?: string): Promise<ExportListDto> {
    const dot = cursor?.indexOf('.') ?? -1;
    const after = cursor ? { createdMs: Number(cursor.slice(0, dot)), exportId: cursor.slice(dot + 1) } : undefined;
    // The index is scored by created_at: the last item's own fields are its position.
    const { items, total } = await storeCall(() => this.store.list(tenant.accountId, tenant.livemode, after, limit + 1));
    const page = items.slice(0, limit);
    const lastShown = page.at(-1);
    const next = items.length > limit && lastShown ? `${Date.parse(lastShown.created_at)}.${lastShown.export_id}` : null;
    return { data: page.map((r) => this.body(r)), pagination: { limit, next_cursor: next, has_more: next !== null, total } };
  }

  /** With a token the link alone authorises (it names one export); without one the caller's key must own it. */
  async download(exportId: string, access: { tenant?: Tenant; token?: string }): Promise<DownloadFile> {
    let record: ExportRecord;
    if (access.token !== undefined) {
      const check = verifyDownloadToken(exportId, access.token, this.config.DOWNLOAD_SIGNING_KEY);
      if (check === 'invalid') throw new InvalidDownloadTokenError(false);
      const found = await storeCall(() => this.store.get(exportId));
      if (!found) throw new ExportNotFoundError();
      // An authentic link past its time: if the export itself has expired, say so (410, as the
      // docs promise); a link never outlives its export, so an expired export's link always
      // lands here. Otherwise only the link is stale: 401, fetch the status for a fresh one.
      if (check === 'expired' && !hasExpired(found)) throw new InvalidDownloadTokenError(true);
      record = found;
    } else {
      record = await this.owned(access.tenant!, exportId);
    }
    if (record.status === 'expired') throw new ExportExpiredError(record.expired_at);
    if (record.status === 'failed') throw new ExportFailedError(record.error ?? { message: 'Failed to generate export' });
    if (record.status !== 'completed') throw new ExportNotReadyError(record.status, record.progress);
    if (hasExpired(record)) throw new ExportExpiredError(record.expires_at);
    const stream = record.file_key ? await this.storage.openRead(record.file_key) : null;
    // Completed but the file is gone: the expiry sweep is about to mark it expired.
    if (!stream) throw new ExportExpiredError(record.expires_at);
    return { stream, contentType: CONTENT_TYPES[record.format], fileName: exportFileName(record.export_id, record.format) };
  }

  private async owned(tenant: Tenant, exportId: string): Promise<ExportRecord> {
    if (!/^export_[0-9a-f]{16}$/.test(exportId)) throw new ExportNotFoundError();
    const record = await storeCall(() => this.store.get(exportId));
    if (!record || record.account_id !== tenant.accountId || record.livemode !== tenant.livemode) throw new ExportNotFoundError();
    return record;
  }

  private body(record: ExportRecord): ExportStatusBody {
    return toStatusBody(record, {
      publicBaseUrl: this.config.PUBLIC_BASE_URL,
      signingKey: this.config.DOWNLOAD_SIGNING_KEY,
      linkTtlSec: this.config.DOWNLOAD_LINK_TTL_SECONDS,
    });
  }

  /** After the HTTP server closed (as ClickHouseReader): an export request in flight still enqueues. */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}

/** Expired, or past its expiry time and not swept yet. */
function hasExpired(record: ExportRecord): boolean {
  return record.status === 'expired' || (record.expires_at !== undefined && Date.parse(record.expires_at) <= Date.now());
}
