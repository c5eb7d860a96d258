import type { Tenant } from '../common/auth/api-key-store';
import { resolveTimeRange, type TimeRange, type TimeRangeInput } from '../common/time/time-range';

/**
 * The period of a request. "Now" is taken to the second, so requests with the default (open)
 * end within one second share a cache entry; an event in that second bumps the data version anyway.
 */
export function requestRange(input: TimeRangeInput): TimeRange {
  return resolveTimeRange(input, Math.floor(Date.now() / 1000) * 1000);
}

/** Cache-key parts every analytics answer depends on besides its own parameters. */
export function tenantParts(tenant: Tenant, range: TimeRange): Record<string, unknown> {
  return { a: tenant.accountId, l: tenant.livemode, s: range.startMs, e: range.endMs, z: range.timeZone };
}

export function generatedAt(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
