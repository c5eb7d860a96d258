import { Injectable } from '@nestjs/common';
import { DataVersions } from '@app/freshness';
import type { Tenant } from '../../common/auth/api-key-store';
import { ResponseCache, type CachedJson } from '../../common/cache/response-cache';
import { formatInstant, timePeriod } from '../../common/time/time-range';
import { generatedAt, requestRange, tenantParts } from '../analytics-request';
import type { PerformanceQueryDto } from '../dto/analytics-query.dto';
import type { PerformanceResponseDto } from '../dto/analytics-response.dto';
import { compareText, performanceFigures, totalUses, type StatSums } from '../metrics/metric-definitions';
import { AnalyticsRepository, EMPTY_MAIN_STATS, type DimensionStats } from '../storage/analytics.repository';
import { VoucherScopeService } from '../voucher-scope.service';

function breakdown<K extends 'segment' | 'region'>(rows: DimensionStats[], dimension: K) {
  return rows
    .filter((r) => r.dimension === dimension && (r.sums.redeemed > 0n || r.sums.rolledBack > 0n || r.sums.orders > 0n))
    .sort((a, b) => sortByUses(a.sums, b.sums) || compareText(a.value, b.value))
    .map((r) => ({ [dimension]: r.value, ...performanceFigures(r.sums), orders: Number(r.sums.orders) }) as { [P in K]: string } & ReturnType<typeof performanceFigures> & { orders: number });
}

function sortByUses(a: StatSums, b: StatSums): number {
  const d = totalUses(b) - totalUses(a);
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}

@Injectable()
export class PerformanceService {
  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly vouchers: VoucherScopeService,
    private readonly cache: ResponseCache,
    private readonly versions: DataVersions,
  ) {}

  async performance(tenant: Tenant, voucherId: string, query: PerformanceQueryDto): Promise<PerformanceResponseDto | CachedJson> {
    const range = requestRange(query);
    const includeDetails = query.include_details === 'true';
    return this.cache.getOrCompute(
      {
        endpoint: 'performance',
        versionKey: this.versions.voucherKey(tenant.accountId, tenant.livemode, voucherId),
        parts: { ...tenantParts(tenant, range), v: voucherId, c: query.currency ?? null, d: includeDetails },
      },
      async () => {
        // Figures of every currency are fetched alongside the default-currency choice: one round trip, not two.
        const base = { accountId: tenant.accountId, livemode: tenant.livemode, voucherId, currency: query.currency };
        const [{ scope, code }, mainByCurrency, dimensionsByCurrency] = await Promise.all([
          this.vouchers.resolve(tenant, voucherId, query.currency),
          this.repository.mainStatsByCurrency(base, range),
          includeDetails ? this.repository.dimensionStatsByCurrency(base, range) : Promise.resolve(new Map<string, DimensionStats[]>()),
        ]);
        const main = mainByCurrency.get(scope.currency) ?? EMPTY_MAIN_STATS;
        const dimensions = dimensionsByCurrency.get(scope.currency) ?? [];
        const response: PerformanceResponseDto = {
          voucher_id: voucherId,
          code,
          performance: performanceFigures(main.sums),
          time_period: timePeriod(range),
          currency: scope.currency,
          generated_at: generatedAt(),
        };
        if (includeDetails) {
          const used = main.sums.redeemed > 0n;
          response.details = {
            validations: {
              valid: Number(main.validationsValid),
              invalid: Number(main.validationsInvalid),
              failure_reasons: dimensions
                .filter((d) => d.dimension === 'failure_reason' && d.validationsInvalid > 0n)
                .sort((a, b) => Number(b.validationsInvalid - a.validationsInvalid) || compareText(a.value, b.value))
                .map((d) => ({ reason: d.value, count: Number(d.validationsInvalid) })),
            },
            rollbacks: Number(main.sums.rolledBack),
            first_used_at: used ? formatInstant(main.firstUsedS * 1000) : null,
            last_used_at: used ? formatInstant(main.lastUsedS * 1000) : null,
            by_segment: breakdown(dimensions, 'segment'),
            by_region: breakdown(dimensions, 'region'),
          };
        }
        return response;
      },
    );
  }
}
