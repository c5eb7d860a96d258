import { Injectable } from '@nestjs/common';
import { DataVersions } from '@app/freshness';
import type { Tenant } from '../../common/auth/api-key-store';
import { ResponseCache, type CachedJson } from '../../common/cache/response-cache';
import { calendarDays, timePeriod } from '../../common/time/time-range';
import { generatedAt, requestRange, tenantParts } from '../analytics-request';
import type { TrendsQueryDto } from '../dto/analytics-query.dto';
import type { TrendsResponseDto } from '../dto/analytics-response.dto';
import {
  avgDailyUses,
  DEFAULT_TREND_METRICS,
  distinctCountsFor,
  growthRate,
  totalDiscount,
  totalUses,
  trendFigure,
  TREND_METRICS,
  ZERO_SUMS,
  type StatSums,
} from '../metrics/metric-definitions';
import { AnalyticsRepository } from '../storage/analytics.repository';
import { VoucherScopeService } from '../voucher-scope.service';
import { bucketDates, bucketsAreUtcDays, bucketSql } from './trend-buckets';

@Injectable()
export class TrendsService {
  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly vouchers: VoucherScopeService,
    private readonly cache: ResponseCache,
    private readonly versions: DataVersions,
  ) {}

  async trends(tenant: Tenant, voucherId: string, query: TrendsQueryDto): Promise<TrendsResponseDto | CachedJson> {
    const range = requestRange(query);
    const interval = query.interval ?? 'day';
    const requested = new Set(query.metrics ?? DEFAULT_TREND_METRICS);
    const metrics = TREND_METRICS.filter((m) => requested.has(m));
    return this.cache.getOrCompute(
      {
        endpoint: 'trends',
        versionKey: this.versions.voucherKey(tenant.accountId, tenant.livemode, voucherId),
        parts: { ...tenantParts(tenant, range), v: voucherId, c: query.currency ?? null, i: interval, m: metrics },
      },
      async () => {
        const length = range.endMs - range.startMs;
        const distinct = distinctCountsFor(metrics);
        // Figures of every currency are fetched alongside the default-currency choice: one round trip, not two.
        const base = { accountId: tenant.accountId, livemode: tenant.livemode, voucherId, currency: query.currency };
        const [{ scope, code }, stats] = await Promise.all([
          this.vouchers.resolve(tenant, voucherId, query.currency),
          this.repository.bucketStatsByCurrency(base, range, bucketSql(interval, range.timeZone), {
            distinct,
            utcDays: bucketsAreUtcDays(range),
            previous: { startMs: Math.max(0, range.startMs - length), endMs: range.startMs },
          }),
        ]);
        const buckets = stats.buckets.get(scope.currency) ?? new Map<string, StatSums>();
        const previous = stats.previous.get(scope.currency) ?? ZERO_SUMS;
        let uses = 0n;
        let discount = 0n;
        for (const sums of buckets.values()) {
          uses += totalUses(sums);
          discount += totalDiscount(sums);
        }
        return {
          voucher_id: voucherId,
          code,
          interval,
          trends: bucketDates(range, interval).map((date) => {
            const sums = buckets.get(date) ?? ZERO_SUMS;
            return { date, ...Object.fromEntries(metrics.map((m) => [m, trendFigure(m, sums)])) };
          }),
          summary: {
            total_period_uses: Number(uses),
            total_period_discount: Number(discount),
            avg_daily_uses: avgDailyUses(uses, calendarDays(range)),
            growth_rate: growthRate(uses, totalUses(previous)),
          },
          time_period: timePeriod(range),
          currency: scope.currency,
          generated_at: generatedAt(),
        };
      },
    );
  }
}
