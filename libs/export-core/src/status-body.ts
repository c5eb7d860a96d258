import { signDownloadToken } from './download-token';
import type { ErrorBody, ExportRecord, WebhookOutcome } from './export.types';

/** "2.5MB" style, as in the product documentation (1 MB = 1024 × 1024 bytes). */
export function humanFileSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : String(Math.round(value * 10) / 10);
  return `${text}${units[unit]}`;
}

export interface DownloadLinkOptions {
  publicBaseUrl: string;
  signingKey: string;
  /** Longest life of one signed link; never past the export's own expiry. */
  linkTtlSec: number;
  nowMs?: number;
}

export function downloadUrl(record: ExportRecord, opts: DownloadLinkOptions): string {
  const now = opts.nowMs ?? Date.now();
  const exportExpiry = record.expires_at ? Date.parse(record.expires_at) / 1000 : Infinity;
  const exp = Math.floor(Math.min(now / 1000 + opts.linkTtlSec, exportExpiry));
  const base = opts.publicBaseUrl.replace(/\/+$/, '');
  return `${base}/v1/analytics/export/${record.export_id}/download?token=${signDownloadToken(record.export_id, exp, opts.signingKey)}`;
}

export interface ExportStatusBody {
  export_id: string;
  status: ExportRecord['status'];
  progress: number;
  format: ExportRecord['format'];
  granularity: ExportRecord['granularity'];
  voucher_count: number;
  metrics: ExportRecord['metrics'];
  time_period: ExportRecord['time_period'];
  created_at: string;
  estimated_completion: string;
  schedule_id?: string;
  download_url?: string;
  expires_at?: string;
  file_size?: string;
  file_size_bytes?: number;
  record_count?: number;
  completed_at?: string;
  expired_at?: string;
  error?: ErrorBody;
  webhook?: WebhookOutcome;
}

/** The public status body (GET /export/{id} and webhook payloads); never exposes internals. */
export function toStatusBody(record: ExportRecord, link: DownloadLinkOptions): ExportStatusBody {
  const body: ExportStatusBody = {
    export_id: record.export_id,
    status: record.status,
    progress: record.progress,
    format: record.format,
    granularity: record.granularity,
    voucher_count: record.voucher_count,
    metrics: record.metrics,
    time_period: record.time_period,
    created_at: record.created_at,
    estimated_completion: record.estimated_completion,
  };
  if (record.schedule_id) body.schedule_id = record.schedule_id;
  if (record.status === 'completed') {
    body.download_url = downloadUrl(record, link);
    body.expires_at = record.expires_at;
    body.file_size = humanFileSize(record.file_size_bytes ?? 0);
    body.file_size_bytes = record.file_size_bytes;
    body.record_count = record.record_count;
    body.completed_at = record.completed_at;
  }
  if (record.status === 'expired') {
    body.expires_at = record.expires_at;
    body.expired_at = record.expired_at;
    body.record_count = record.record_count;
    body.completed_at = record.completed_at;
  }
  if (record.status === 'failed' && record.error) body.error = record.error;
  if (record.webhook) body.webhook = record.webhook;
  return body;
}
