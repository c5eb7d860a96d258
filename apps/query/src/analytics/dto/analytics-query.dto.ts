import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IDENTIFIER } from '@app/contracts';
import { TREND_METRICS, type TrendMetric } from '../metrics/metric-definitions';

export class VoucherIdParams {
  @ApiProperty({ description: "The voucher's id (contract identifier: 1-128 of A-Z a-z 0-9 _ . : -)", example: 'v_1234567890abcdef', pattern: '^[A-Za-z0-9_.:-]+$', minLength: 1, maxLength: 128 })
  @Matches(IDENTIFIER, { message: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' })
  voucher_id: string;
}

/** Period, zone and currency: accepted by every analytics endpoint. */
export class AnalyticsQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601 date (local midnight in `timezone`) or date-time. Default: end_date − 30 days.', example: '2024-03-01', maxLength: 40 })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  start_date?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 date (inclusive: end of that local day) or date-time (inclusive). Default: now. At most 90 days after start_date.', example: '2024-03-20', maxLength: 40 })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  end_date?: string;

  @ApiPropertyOptional({ description: 'IANA time zone (Area/Location, or UTC) for date-only bounds and calendar buckets.', default: 'UTC', example: 'Europe/Berlin', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional({ description: 'ISO 4217 code. Default: the voucher\'s currency with the most redemptions (ties alphabetical).', example: 'USD', pattern: '^[A-Z]{3}$' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'must be a three-letter upper-case ISO 4217 code' })
  currency?: string;
}

export class PerformanceQueryDto extends AnalyticsQueryDto {
  @ApiPropertyOptional({ description: 'Add the `details` breakdown (`true` or `false`).', type: Boolean, default: false })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  include_details?: 'true' | 'false';
}

export const INTERVALS = ['day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

export class TrendsQueryDto extends AnalyticsQueryDto {
  @ApiPropertyOptional({ enum: INTERVALS, default: 'day', description: 'Calendar days in `timezone`, ISO weeks (Monday) or months.' })
  @IsOptional()
  @IsIn(INTERVALS, { message: 'must be one of day, week, month' })
  interval?: Interval;

  @ApiPropertyOptional({
    description: 'Figures per bucket: comma-separated or repeated. Default: uses, discount, orders, conversion_rate, avg_order_value.',
    type: [String],
    enum: TREND_METRICS,
  })
  @IsOptional()
  @Transform(({ value }) =>
    (Array.isArray(value) ? value : [value]).flatMap((v: unknown) => (typeof v === 'string' ? v.split(',') : [v])).map((v: unknown) => (typeof v === 'string' ? v.trim() : v)),
  )
  @ArrayNotEmpty({ message: 'must name at least one metric' })
  @ArrayMaxSize(20)
  @IsIn(TREND_METRICS, { each: true, message: `must only contain ${TREND_METRICS.join(', ')}` })
  metrics?: TrendMetric[];
}

export const VOUCHER_SORTS = ['uses', 'discount', 'revenue_impact'] as const;
export type VoucherSort = (typeof VOUCHER_SORTS)[number];

export class VoucherListQueryDto extends AnalyticsQueryDto {
  @ApiPropertyOptional({ enum: VOUCHER_SORTS, default: 'uses', description: 'Sorted by this figure, descending (ties by voucher_id, currency).' })
  @IsOptional()
  @IsIn(VOUCHER_SORTS, { message: 'must be one of uses, discount, revenue_impact' })
  sort?: VoucherSort;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'must be an integer between 1 and 100' })
  @Min(1, { message: 'must be an integer between 1 and 100' })
  @Max(100, { message: 'must be an integer between 1 and 100' })
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque `next_cursor` of the previous page; other parameters must be unchanged.' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  // Same rule as every endpoint's, another default: the list has no one voucher to choose for.
  @ApiPropertyOptional({ description: 'ISO 4217 code: only rows in this currency. Default: every currency, one row per voucher and currency.', example: 'USD', pattern: '^[A-Z]{3}$' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'must be a three-letter upper-case ISO 4217 code' })
  declare currency?: string;
}
