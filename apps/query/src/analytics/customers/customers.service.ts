import { Injectable } from '@nestjs/common';
import { DataVersions } from '@app/freshness';
import type { Tenant } from '../../common/auth/api-key-store';
import { ResponseCache, type CachedJson } from '../../common/cache/response-cache';
import { timePeriod } from '../../common/time/time-range';
import { generatedAt, requestRange, tenantParts } from '../analytics-request';
import type { AnalyticsQueryDto } from '../dto/analytics-query.dto';
import type { CustomersResponseDto } from '../dto/analytics-response.dto';
import { avgOrderValue, compareText, conversionRate, netOrderAmount, percentage, roundDiv, ZERO_SUMS } from '../metrics/metric-definitions';
import { AnalyticsRepository, type CustomerGroup } from '../storage/analytics.repository';
import { VoucherScopeService } from '../voucher-scope.service';

const MAX_SEGMENTS = 10;

function countBy(groups: CustomerGroup[], key: 'segment' | 'region'): Array<[string, bigint]> {
  const counts = new Map<string, bigint>();
  for (const g of groups) counts.set(g[key], (counts.get(g[key]) ?? 0n) + g.customers);
  return [...counts.entries()].sort((a, b) => (a[1] === b[1] ? compareText(a[0], b[0]) : a[1] > b[1] ? -1 : 1));
}

@Injectable()
export class CustomersService {
  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly vouchers: VoucherScopeService,
    private readonly cache: ResponseCache,
    private readonly versions: DataVersions,
  ) {}

  async customers(tenant: Tenant, voucherId: string, query: AnalyticsQueryDto): Promise<CustomersResponseDto | CachedJson> {
    const range = requestRange(query);
    return this.cache.getOrCompute(
      {
        endpoint: 'customers',
        // New vs returning and lifetime value depend on orders of other vouchers: account-wide version.
        versionKey: this.versions.accountKey(tenant.accountId, tenant.livemode),
        parts: { ...tenantParts(tenant, range), v: voucherId, c: query.currency ?? null },
      },
      async () => {
        const { scope, code } = await this.vouchers.resolve(tenant, voucherId, query.currency);
        const [groups, main, segments] = await Promise.all([
          this.repository.customerGroups(scope, range),
          this.repository.additiveStats(scope, range),
          this.repository.segmentStats(scope, range),
        ]);
        let total = 0n;
        let fresh = 0n;
        let spend = 0n;
        for (const g of groups) {
          total += g.customers;
          fresh += g.newCustomers;
          spend += g.spend;
        }
        const segmentSums = new Map(segments.map((d) => [d.value, d.sums]));
        return {
          voucher_id: voucherId,
          code,
          customer_insights: {
            total_customers: Number(total),
            new_customers: Number(fresh),
            returning_customers: Number(total - fresh),
            avg_customer_value: total === 0n ? 0 : Number(roundDiv(netOrderAmount(main), total)),
            customer_lifetime_value: total === 0n ? 0 : Number(roundDiv(spend, total)),
            top_customer_segments: countBy(groups, 'segment')
              .slice(0, MAX_SEGMENTS)
              .map(([segment, count]) => {
                const sums = segmentSums.get(segment) ?? ZERO_SUMS;
                return { segment, count: Number(count), avg_order_value: avgOrderValue(sums), conversion_rate: conversionRate(sums) };
              }),
            geographic_distribution: countBy(groups, 'region').map(([region, count]) => ({
              region,
              count: Number(count),
              percentage: percentage(count, total),
            })),
          },
          time_period: timePeriod(range),
          currency: scope.currency,
          generated_at: generatedAt(),
        };
      },
    );
  }
}
