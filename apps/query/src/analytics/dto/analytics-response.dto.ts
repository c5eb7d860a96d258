import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TimePeriodDto {
  @ApiProperty({ example: '2024-03-01T00:00:00Z', description: 'Resolved start, UTC' })
  start: string;
  @ApiProperty({ example: '2024-03-20T23:59:59Z', description: 'Resolved end (inclusive), UTC' })
  end: string;
}

class AnalyticsResponseBase {
  @ApiProperty({ type: TimePeriodDto })
  time_period: TimePeriodDto;
  @ApiProperty({ example: 'USD', description: 'Currency of every amount in this response (minor units)' })
  currency: string;
  @ApiProperty({ example: '2024-03-20T10:00:00Z', description: 'When the figures were computed' })
  generated_at: string;
}

export class PerformanceFiguresDto {
  @ApiProperty({ type: 'integer', description: 'Redemptions − rollbacks', example: 150 })
  total_uses: number;
  @ApiProperty({ type: 'integer', description: 'Σ discount redeemed − Σ discount rolled back (minor units)', example: 150000 })
  total_discount: number;
  @ApiProperty({ description: 'total_uses / distinct orders (valid validations ∪ redemptions), 4 decimals; 0 without orders', example: 0.75 })
  conversion_rate: number;
  @ApiProperty({ type: 'integer', description: 'Net order amount / total_uses, rounded; 0 when total_uses ≤ 0', example: 10000 })
  avg_order_value: number;
  @ApiProperty({ type: 'integer', description: 'Net revenue (order − discount) of redeemed minus rolled-back orders', example: 750000 })
  revenue_impact: number;
  @ApiProperty({ type: 'integer', description: 'Distinct customers among redemptions', example: 120 })
  unique_customers: number;
  @ApiProperty({ type: 'integer', description: 'max(0, total_uses − unique_customers)', example: 30 })
  repeat_usage: number;
}

class FailureReasonDto {
  @ApiProperty({ example: 'minimum_order_not_met' })
  reason: string;
  @ApiProperty({ type: 'integer', example: 12 })
  count: number;
}

class ValidationsDto {
  @ApiProperty({ type: 'integer', description: 'Valid validations' })
  valid: number;
  @ApiProperty({ type: 'integer', description: 'Invalid validations' })
  invalid: number;
  @ApiProperty({ type: [FailureReasonDto], description: 'Invalid validations per reason, most frequent first' })
  failure_reasons: FailureReasonDto[];
}

class BreakdownFiguresDto extends PerformanceFiguresDto {
  @ApiProperty({ type: 'integer', description: 'Distinct orders among events carrying this value' })
  orders: number;
}

class SegmentBreakdownDto extends BreakdownFiguresDto {
  @ApiProperty({ example: 'premium', description: 'customer_segment carried by the events ("unknown" when absent)' })
  segment: string;
}

class RegionBreakdownDto extends BreakdownFiguresDto {
  @ApiProperty({ example: 'Europe', description: 'customer_region carried by the events ("unknown" when absent)' })
  region: string;
}

class PerformanceDetailsDto {
  @ApiProperty({ type: ValidationsDto })
  validations: ValidationsDto;
  @ApiProperty({ type: 'integer', description: 'Rolled-back redemptions' })
  rollbacks: number;
  @ApiProperty({ nullable: true, type: String, example: '2024-03-01T08:12:00Z', description: 'First redemption in the period' })
  first_used_at: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2024-03-20T17:40:00Z', description: 'Last redemption in the period' })
  last_used_at: string | null;
  @ApiProperty({ type: [SegmentBreakdownDto], description: 'Figures over events carrying each segment, by total_uses' })
  by_segment: SegmentBreakdownDto[];
  @ApiProperty({ type: [RegionBreakdownDto], description: 'Figures over events carrying each region, by total_uses' })
  by_region: RegionBreakdownDto[];
}

export class PerformanceResponseDto extends AnalyticsResponseBase {
  @ApiProperty({ example: 'v_1234567890abcdef' })
  voucher_id: string;
  @ApiProperty({ example: 'SUMMER2024', description: 'Latest code seen for the voucher' })
  code: string;
  @ApiProperty({ type: PerformanceFiguresDto })
  performance: PerformanceFiguresDto;
  @ApiPropertyOptional({ type: PerformanceDetailsDto, description: 'Only with include_details=true' })
  details?: PerformanceDetailsDto;
}

class TrendBucketDto {
  @ApiProperty({ example: '2024-03-01', description: 'First day of the bucket in `timezone`' })
  date: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Net uses in the bucket' })
  uses?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Net discount in the bucket' })
  discount?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Distinct orders in the bucket' })
  orders?: number;
  @ApiPropertyOptional({ description: 'uses / orders, 4 decimals' })
  conversion_rate?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Net order amount / uses, rounded' })
  avg_order_value?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Net revenue of the orders that used the voucher' })
  revenue_impact?: number;
  @ApiPropertyOptional({ type: 'integer', description: 'Distinct redeeming customers in the bucket' })
  unique_customers?: number;
}

class TrendSummaryDto {
  @ApiProperty({ type: 'integer' })
  total_period_uses: number;
  @ApiProperty({ type: 'integer' })
  total_period_discount: number;
  @ApiProperty({ description: 'total_period_uses / calendar days the period touches in `timezone`, 2 decimals' })
  avg_daily_uses: number;
  @ApiProperty({ nullable: true, type: Number, description: '(uses − uses of the preceding equal-length period) / the latter, 4 decimals; null when that is 0' })
  growth_rate: number | null;
}

export class TrendsResponseDto extends AnalyticsResponseBase {
  @ApiProperty()
  voucher_id: string;
  @ApiProperty()
  code: string;
  @ApiProperty({ enum: ['day', 'week', 'month'] })
  interval: string;
  @ApiProperty({ type: [TrendBucketDto], description: 'Every bucket from the one containing start to the one containing end, zero-filled' })
  trends: TrendBucketDto[];
  @ApiProperty({ type: TrendSummaryDto })
  summary: TrendSummaryDto;
}

class CustomerSegmentDto {
  @ApiProperty({ example: 'premium', description: "Segment of each customer's latest redemption in the period" })
  segment: string;
  @ApiProperty({ type: 'integer', description: 'Customers in the segment' })
  count: number;
  @ApiProperty({ type: 'integer', description: 'avg_order_value over events carrying the segment' })
  avg_order_value: number;
  @ApiProperty({ description: 'conversion_rate over events carrying the segment' })
  conversion_rate: number;
}

class RegionShareDto {
  @ApiProperty({ example: 'Europe', description: "Region of each customer's latest redemption in the period" })
  region: string;
  @ApiProperty({ type: 'integer' })
  count: number;
  @ApiProperty({ description: 'count / total_customers × 100, 1 decimal' })
  percentage: number;
}

class CustomerInsightsDto {
  @ApiProperty({ type: 'integer', description: 'Distinct customers with a redemption in the period' })
  total_customers: number;
  @ApiProperty({ type: 'integer', description: "Customers whose first order ever (for the account) is one of these redemptions" })
  new_customers: number;
  @ApiProperty({ type: 'integer' })
  returning_customers: number;
  @ApiProperty({ type: 'integer', description: 'Net order amount of the redemptions / total_customers, rounded' })
  avg_customer_value: number;
  @ApiProperty({ type: 'integer', description: "Mean of customers' total spend in this currency up to end (distinct orders, redeemed or completed), rounded" })
  customer_lifetime_value: number;
  @ApiProperty({ type: [CustomerSegmentDto], description: 'By count desc, then segment; at most 10' })
  top_customer_segments: CustomerSegmentDto[];
  @ApiProperty({ type: [RegionShareDto], description: 'By count desc, then region' })
  geographic_distribution: RegionShareDto[];
}

export class CustomersResponseDto extends AnalyticsResponseBase {
  @ApiProperty()
  voucher_id: string;
  @ApiProperty()
  code: string;
  @ApiProperty({ type: CustomerInsightsDto })
  customer_insights: CustomerInsightsDto;
}

class VoucherListItemDto {
  @ApiProperty()
  voucher_id: string;
  @ApiProperty()
  code: string;
  @ApiProperty({ description: 'Currency of this row: a voucher used in several currencies has one row per currency' })
  currency: string;
  @ApiProperty({ type: 'integer' })
  total_uses: number;
  @ApiProperty({ type: 'integer' })
  total_discount: number;
  @ApiProperty({ type: 'integer' })
  revenue_impact: number;
}

export class VoucherListResponseDto {
  @ApiProperty({ type: [VoucherListItemDto] })
  data: VoucherListItemDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  next_cursor: string | null;
  @ApiProperty({ type: TimePeriodDto })
  time_period: TimePeriodDto;
  @ApiProperty({ nullable: true, type: String, description: 'The requested currency, or null when rows of every currency are listed' })
  currency: string | null;
  @ApiProperty()
  generated_at: string;
}
