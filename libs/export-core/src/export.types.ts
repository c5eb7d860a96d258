/** Shapes shared by the export API (apps/query) and the export worker (apps/export-worker). */

export const EXPORT_FORMATS = ['csv', 'json', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_GRANULARITIES = ['day', 'week', 'month', 'event'] as const;
export type ExportGranularity = (typeof EXPORT_GRANULARITIES)[number];

/** Same names and definitions as the query API's trends buckets (docs/metrics.md). */
export const EXPORT_METRICS = [
  'uses',
  'discount',
  'orders',
  'conversion_rate',
  'avg_order_value',
  'revenue_impact',
  'unique_customers',
] as const;
export type ExportMetric = (typeof EXPORT_METRICS)[number];

export const EXPORT_STATUSES = ['queued', 'processing', 'completed', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const RELATIVE_WINDOWS = ['last_7_days', 'last_30_days', 'previous_month'] as const;
export type RelativeWindow = (typeof RELATIVE_WINDOWS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The standard error envelope's inner object. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What a validated export request resolves to (time_period absolute, in UTC ISO form). */
export interface ExportSpec {
  voucher_ids: string[];
  metrics: ExportMetric[];
  format: ExportFormat;
  granularity: ExportGranularity;
  timezone: string;
  /** Optional: without it each voucher's rows use its dominant currency (as the query API does). */
  currency?: string;
  /** As shown to clients: whole seconds, the end inclusive (`…23:59:59Z`). */
  time_period: { start: string; end: string };
  /**
   * The period the rows cover, exact to the millisecond as the analytics API resolves it (end
   * exclusive). Records made before it existed lack it; readers then take the shown seconds.
   */
  period_ms?: { start: number; end: number };
}

export interface WebhookOutcome {
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code?: number;
  last_error?: string;
  delivered_at?: string;
}

/** One export as stored in Redis (a hash of JSON-encoded fields). */
export interface ExportRecord extends ExportSpec {
  export_id: string;
  account_id: string;
  livemode: boolean;
  status: ExportStatus;
  progress: number;
  voucher_count: number;
  created_at: string;
  estimated_completion: string;
  started_at?: string;
  completed_at?: string;
  expires_at?: string;
  expired_at?: string;
  failed_at?: string;
  file_key?: string;
  file_size_bytes?: number;
  record_count?: number;
  error?: ErrorBody;
  schedule_id?: string;
  webhook_url?: string;
  webhook?: WebhookOutcome;
  /** How many times the export reached "completed" (the exactly-once guard keeps it at 1). */
  completions?: number;
}

export interface ScheduleExportTemplate extends Omit<ExportSpec, 'time_period'> {
  time_period: RelativeWindow;
}

export interface ScheduleRecord {
  schedule_id: string;
  account_id: string;
  livemode: boolean;
  name: string;
  cron: string;
  timezone: string;
  export: ScheduleExportTemplate;
  webhook_url?: string;
  created_at: string;
}

/** Job names on the one export queue. */
export const JOB = {
  export: 'export',
  scheduledExport: 'scheduled-export',
  expireExports: 'expire-exports',
  deliverWebhook: 'deliver-webhook',
} as const;

export interface ExportJobData {
  export_id: string;
}
export interface ScheduledExportJobData {
  schedule_id: string;
}
export interface WebhookJobData {
  export_id: string;
}

export const FILE_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', json: 'json', xlsx: 'xlsx' };

/** The name a client's download is saved under (Content-Disposition). */
export function exportFileName(exportId: string, format: ExportFormat): string {
  return `${exportFilePrefix(exportId)}.${FILE_EXTENSIONS[format]}`;
}

/**
 * The stored file of one generation attempt. Each attempt writes its own name and the record
 * names the one whose completion won: two racing attempts (a stalled job re-run while the
 * original still runs) used to rename onto one name, so the file served could be the loser's
 * while the record held the winner's row count and size.
 */
export function exportFileKey(exportId: string, format: ExportFormat, attempt: string): string {
  return `${exportFilePrefix(exportId)}.${attempt}.${FILE_EXTENSIONS[format]}`;
}

/** What every stored file (and partial) of one export starts with. */
export function exportFilePrefix(exportId: string): string {
  return `export_${exportId.replace(/^export_/, '')}`;
}
