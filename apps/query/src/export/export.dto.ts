import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmptyObject,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  EXPORT_FORMATS,
  EXPORT_GRANULARITIES,
  EXPORT_METRICS,
  EXPORT_STATUSES,
  RELATIVE_WINDOWS,
  type ExportFormat,
  type ExportGranularity,
  type ExportMetric,
  type RelativeWindow,
} from '@app/export-core';
import { IDENTIFIER } from '@app/contracts';

/** Named apart from the responses' TimePeriodDto: OpenAPI schemas are keyed by class name. */
export class ExportTimePeriodDto {
  @ApiPropertyOptional({ example: '2024-03-01T00:00:00Z', description: 'ISO 8601 date or date-time; date-only = local midnight in `timezone`. Default: end − 30 days.' })
  @IsOptional()
  @IsString()
  start?: string;

  @ApiPropertyOptional({ example: '2024-03-20T23:59:59Z', description: 'ISO 8601 date or date-time; date-only = end of that local day. Default: now.' })
  @IsOptional()
  @IsString()
  end?: string;
}

class ExportBodyBase {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 100, example: ['v_1234567890abcdef'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(IDENTIFIER, { each: true, message: 'each value must be a voucher id (1-128 characters of A-Z a-z 0-9 _ . : -)' })
  voucher_ids: string[];

  @ApiProperty({ enum: EXPORT_METRICS, isArray: true, example: ['uses', 'discount', 'orders', 'conversion_rate'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(EXPORT_METRICS, { each: true, message: `each value must be one of ${EXPORT_METRICS.join(', ')}` })
  metrics: ExportMetric[];

  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;

  @ApiPropertyOptional({ enum: EXPORT_GRANULARITIES, default: 'day', description: '`event` = one row per raw event with fixed columns (docs/exports.md); metrics do not change them.' })
  @IsOptional()
  @IsIn(EXPORT_GRANULARITIES)
  granularity?: ExportGranularity;

  @ApiPropertyOptional({ example: 'UTC', default: 'UTC', description: 'IANA time zone of the buckets and of date-only period bounds.' })
  @IsOptional()
  @IsString()
  timezone?: string;

  @ApiPropertyOptional({ example: 'USD', description: 'ISO 4217 code; default per voucher: the currency with most redemptions (ties alphabetical).' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'must be a three-letter ISO 4217 code such as USD' })
  currency?: string;
}

export class CreateExportDto extends ExportBodyBase {
  @ApiPropertyOptional({ type: ExportTimePeriodDto, description: 'At most 90 days; default the last 30 days.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ExportTimePeriodDto)
  time_period?: ExportTimePeriodDto;
}

export class ExportCreatedDto {
  @ApiProperty({ example: 'export_1234567890abcdef' }) export_id: string;
  @ApiProperty({ example: 'processing', description: 'As in the product documentation; GET shows the precise queued/processing state.' }) status: 'processing';
  @ApiProperty({ example: '2024-03-20T10:05:00Z' }) estimated_completion: string;
  @ApiProperty({ enum: EXPORT_FORMATS }) format: ExportFormat;
  @ApiProperty({ type: 'integer', example: 1 }) voucher_count: number;
  @ApiProperty({ enum: EXPORT_METRICS, isArray: true }) metrics: ExportMetric[];
}

class ExportErrorDto {
  @ApiProperty({ example: 'EXPORT_FAILED' }) code: string;
  @ApiProperty({ example: 'Failed to generate export' }) message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { reason: 'Too many records requested', max_records: 100000, requested_records: 150000 } })
  details?: Record<string, unknown>;
}

class TimePeriodOutDto {
  @ApiProperty({ example: '2024-03-01T00:00:00Z' }) start: string;
  @ApiProperty({ example: '2024-03-20T23:59:59Z' }) end: string;
}

class WebhookOutcomeDto {
  @ApiProperty() url: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer', description: 'Delivery attempts so far (retried with exponential backoff).' }) attempts: number;
  @ApiPropertyOptional() last_status_code?: number;
  @ApiPropertyOptional() last_error?: string;
  @ApiPropertyOptional() delivered_at?: string;
}

export class ExportStatusDto {
  @ApiProperty({ example: 'export_1234567890abcdef' }) export_id: string;
  @ApiProperty({ enum: EXPORT_STATUSES }) status: string;
  @ApiProperty({ type: 'integer', example: 100, description: 'Percent of rows written (0–100).' }) progress: number;
  @ApiProperty({ enum: EXPORT_FORMATS }) format: string;
  @ApiProperty({ enum: EXPORT_GRANULARITIES }) granularity: string;
  @ApiProperty({ type: 'integer' }) voucher_count: number;
  @ApiProperty({ enum: EXPORT_METRICS, isArray: true }) metrics: string[];
  @ApiProperty({ type: TimePeriodOutDto }) time_period: TimePeriodOutDto;
  @ApiProperty() created_at: string;
  @ApiProperty() estimated_completion: string;
  @ApiPropertyOptional({ description: 'Set when a schedule produced the export.' }) schedule_id?: string;
  @ApiPropertyOptional({ description: 'Completed only: signed link, usable without the API key until it expires.' }) download_url?: string;
  @ApiPropertyOptional({ description: 'When the file is deleted (completion + EXPORT_TTL_HOURS).' }) expires_at?: string;
  @ApiPropertyOptional({ example: '2.5MB' }) file_size?: string;
  @ApiPropertyOptional({ example: 2621440 }) file_size_bytes?: number;
  @ApiPropertyOptional({ type: 'integer', example: 15000, description: 'Rows in the file (completed exports).' }) record_count?: number;
  @ApiPropertyOptional() completed_at?: string;
  @ApiPropertyOptional() expired_at?: string;
  @ApiPropertyOptional({ type: ExportErrorDto, description: 'Failed only: the EXPORT_FAILED error body.' }) error?: ExportErrorDto;
  @ApiPropertyOptional({ type: WebhookOutcomeDto, description: 'Scheduled exports with a webhook_url: the delivery outcome.' }) webhook?: WebhookOutcomeDto;
}

export class ListExportsQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque `next_cursor` of the previous page.' })
  @IsOptional()
  @Matches(/^[0-9]{1,15}\.export_[0-9a-f]{16}$/, { message: 'must be a next_cursor value from a previous page' })
  cursor?: string;
}

class PaginationDto {
  @ApiProperty({ type: 'integer' }) limit: number;
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
  @ApiProperty() has_more: boolean;
  @ApiProperty({ type: 'integer' }) total: number;
}

export class ExportListDto {
  @ApiProperty({ type: [ExportStatusDto], description: 'Newest first.' }) data: ExportStatusDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

export class DownloadQueryDto {
  @ApiPropertyOptional({ description: 'Signed token from download_url (instead of the Authorization header).' })
  @IsOptional()
  @IsString()
  token?: string;
}

export class ScheduleExportDto extends ExportBodyBase {
  @ApiProperty({ enum: RELATIVE_WINDOWS, description: 'Window resolved at each run, in the export timezone.' })
  @IsIn(RELATIVE_WINDOWS)
  time_period: RelativeWindow;
}

export class CreateScheduleDto {
  @ApiProperty({ example: 'Weekly finance report' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ example: '0 6 * * 1', description: 'Cron, 5 fields (a 6th leading seconds field is accepted for short test schedules).' })
  @IsString()
  @Matches(/^\S+(\s+\S+){4,5}$/, { message: 'must be a cron expression of 5 fields' })
  cron: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', description: 'Time zone the cron is read in.' })
  @IsOptional()
  @IsString()
  timezone?: string;

  @ApiProperty({ type: ScheduleExportDto })
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => ScheduleExportDto)
  export: ScheduleExportDto;

  @ApiPropertyOptional({ example: 'https://example.com/hooks/exports', description: 'Receives the export status body (completed or failed), signed in X-Voucher-Signature.' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  webhook_url?: string;
}

export class ScheduleDto {
  @ApiProperty({ example: 'sched_1234567890abcdef' }) schedule_id: string;
  @ApiProperty() name: string;
  @ApiProperty() cron: string;
  @ApiProperty() timezone: string;
  @ApiProperty({ type: ScheduleExportDto }) export: ScheduleExportDto;
  @ApiPropertyOptional() webhook_url?: string;
  @ApiPropertyOptional({
    example: 'whsec_5f2b…',
    description: "With webhook_url: the secret that verifies this schedule's X-Voucher-Signature (HMAC-SHA256 key), unique to the schedule.",
  })
  webhook_secret?: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String, description: 'Next planned run (from BullMQ); null when none is planned.' }) next_run_at: string | null;
}

export class ScheduleListDto {
  @ApiProperty({ type: [ScheduleDto] }) data: ScheduleDto[];
}
