import { Injectable } from '@nestjs/common';
import { VoucherNotFoundError } from '../common/errors/api-error';
import type { Tenant } from '../common/auth/api-key-store';
import { defaultCurrency } from './metrics/metric-definitions';
import { AnalyticsRepository, type FullScope } from './storage/analytics.repository';

export interface ResolvedVoucher {
  scope: FullScope;
  code: string;
}

/**
 * Turns (tenant, voucher id, currency parameter) into the scope of every figure. A voucher
 * unknown to this account and mode is VOUCHER_NOT_FOUND, whether another tenant has it or not.
 */
@Injectable()
export class VoucherScopeService {
  constructor(private readonly repository: AnalyticsRepository) {}

  async resolve(tenant: Tenant, voucherId: string, currency: string | undefined): Promise<ResolvedVoucher> {
    const base = { accountId: tenant.accountId, livemode: tenant.livemode, voucherId };
    const meta = await this.repository.voucherMeta(base, currency === undefined);
    if (!meta.exists) throw new VoucherNotFoundError([voucherId]);
    const chosen = currency ?? defaultCurrency(meta.redemptions, meta.currencies) ?? 'USD';
    return { scope: { ...base, currency: chosen }, code: meta.code };
  }
}
