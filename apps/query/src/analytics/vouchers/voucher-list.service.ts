import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { IDENTIFIER } from '@app/contracts';
import { DataVersions } from '@app/freshness';
import type { Tenant } from '../../common/auth/api-key-store';
import { ResponseCache, type CachedJson } from '../../common/cache/response-cache';
import { ValidationError } from '../../common/errors/api-error';
import { checkPeriod, parseTimeZone, timePeriod, type TimeRange } from '../../common/time/time-range';
import { generatedAt, requestRange, tenantParts } from '../analytics-request';
import type { VoucherListQueryDto, VoucherSort } from '../dto/analytics-query.dto';
import type { VoucherListResponseDto } from '../dto/analytics-response.dto';
import { compareText } from '../metrics/metric-definitions';
import { AnalyticsRepository, type VoucherListRow } from '../storage/analytics.repository';

interface Cursor {
  /** fingerprint of the parameters the cursor belongs to */
  f: string;
  /** sort value, voucher id, currency of the last row returned */
  v: string;
  id: string;
  c: string;
  /** the period of the first page, so later pages of an open-ended ("now") period stay consistent */
  s: number;
  e: number;
}

function sortValue(row: VoucherListRow, sort: VoucherSort): bigint {
  return sort === 'uses' ? row.uses : sort === 'discount' ? row.discount : row.revenueImpact;
}

/** Keyset pagination over (sort value desc, voucher_id, currency); rows never mix currencies. */
@Injectable()
export class VoucherListService {
  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly cache: ResponseCache,
    private readonly versions: DataVersions,
  ) {}

  async list(tenant: Tenant, query: VoucherListQueryDto): Promise<VoucherListResponseDto | CachedJson> {
    const sort = query.sort ?? 'uses';
    const limit = query.limit ?? 20;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([tenant.accountId, tenant.livemode, sort, query.currency, query.timezone, query.start_date, query.end_date]))
      .digest('base64url')
      .slice(0, 16);
    // A later page reads the period its cursor carries (the first page's), and only that is
    // checked again: an open-ended period resolved anew against "now" could have grown past 90 days.
    const timeZone = parseTimeZone(query.timezone);
    const cursor = query.cursor ? this.decode(query.cursor, fingerprint, timeZone) : undefined;
    const range: TimeRange = cursor ? { timeZone, startMs: cursor.s, endMs: cursor.e } : requestRange(query);
    return this.cache.getOrCompute(
      {
        endpoint: 'vouchers',
        versionKey: this.versions.accountKey(tenant.accountId, tenant.livemode),
        parts: { ...tenantParts(tenant, range), c: query.currency ?? null, o: sort, n: limit, k: query.cursor ?? null },
      },
      async () => {
        const scope = { accountId: tenant.accountId, livemode: tenant.livemode, currency: query.currency };
        const after = cursor ? { value: cursor.v, voucherId: cursor.id, currency: cursor.c } : undefined;
        const rows = (await this.repository.voucherList(scope, range, sort, after, limit + 1)).sort((a, b) => {
          const d = sortValue(b, sort) - sortValue(a, sort);
          return d > 0n ? 1 : d < 0n ? -1 : compareText(a.voucherId, b.voucherId) || compareText(a.currency, b.currency);
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        const next: Cursor | undefined =
          rows.length > limit && last
            ? { f: fingerprint, v: String(sortValue(last, sort)), id: last.voucherId, c: last.currency, s: range.startMs, e: range.endMs }
            : undefined;
        return {
          data: page.map((r) => ({
            voucher_id: r.voucherId,
            code: r.code,
            currency: r.currency,
            total_uses: Number(r.uses),
            total_discount: Number(r.discount),
            revenue_impact: Number(r.revenueImpact),
          })),
          next_cursor: next ? Buffer.from(JSON.stringify(next)).toString('base64url') : null,
          time_period: timePeriod(range),
          currency: query.currency ?? null,
          generated_at: generatedAt(),
        };
      },
    );
  }

  /**
   * A cursor is the client's text: every field is checked again, its period by the same rules as
   * the parameters' (a forged one must not reach SQL with a period the API would refuse).
   */
  private decode(text: string, fingerprint: string, timeZone: string): Cursor {
    try {
      const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
      const ok =
        c.f === fingerprint &&
        typeof c.v === 'string' && /^-?\d{1,18}$/.test(c.v) &&
        typeof c.id === 'string' && IDENTIFIER.test(c.id) &&
        typeof c.c === 'string' && /^[A-Z]{3}$/.test(c.c) &&
        Number.isSafeInteger(c.s) && Number.isSafeInteger(c.e);
      if (ok) {
        checkPeriod(c.s, c.e, timeZone);
        return c;
      }
    } catch {
      // fall through: malformed, or a period the API refuses
    }
    throw new ValidationError('cursor', 'is not a cursor of this listing (parameters must stay the same between pages)');
  }
}
