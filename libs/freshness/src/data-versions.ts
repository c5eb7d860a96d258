import type { Redis } from 'ioredis';

/** An (account, mode, voucher) whose data changed in a flushed batch; no voucher = account-wide data. */
export interface ChangedVoucher {
  accountId: string;
  livemode: boolean;
  voucherId?: string;
}

/**
 * Per-voucher data versions in Redis. Ingest bumps a voucher's version after its events are
 * durable in ClickHouse; the query service puts the version into every cache key, so entries
 * computed before the change become unreachable at once (no scan-and-delete, no TTL wait).
 * The account-wide version moves with every change, voucher or not: it covers answers that span
 * vouchers (the voucher list) or customers' whole order history (customer insights).
 *
 * One more version, the epoch, is part of every cache key. Each ingest process bumps it when it
 * first reaches Redis and again after any failure or reconnection: changes a process stored but
 * could not signal (Redis away) and then died with are covered by the next process to start or
 * by any surviving one, not left to the cache TTL.
 */
export class DataVersions {
  private readonly scope: string;

  /**
   * Keys are scoped by the ClickHouse database: two deployments sharing one Redis and prefix (the
   * local stack's `npm start` and `npm test` do) must not bump or read each other's versions.
   */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    database: string,
  ) {
    this.scope = `${prefix}dv:${database}:`;
  }

  voucherKey(accountId: string, livemode: boolean, voucherId: string): string {
    return `${this.scope}${accountId}:${livemode ? 'live' : 'test'}:v:${voucherId}`;
  }

  accountKey(accountId: string, livemode: boolean): string {
    return `${this.scope}${accountId}:${livemode ? 'live' : 'test'}`;
  }

  /** Calls `listener` whenever the connection to Redis is (re)established. */
  onConnected(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  /** The version every cached answer depends on besides its voucher's or account's. */
  epochKey(): string {
    return `${this.scope}epoch`;
  }

  /** Bumps every changed voucher and its account (and with `epoch`, the epoch) in one round trip. */
  async bump(changes: Iterable<ChangedVoucher>, options: { epoch?: boolean } = {}): Promise<number> {
    const keys = new Set<string>(options.epoch ? [this.epochKey()] : []);
    for (const c of changes) {
      if (c.voucherId) keys.add(this.voucherKey(c.accountId, c.livemode, c.voucherId));
      keys.add(this.accountKey(c.accountId, c.livemode));
    }
    if (keys.size === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.incr(key);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    return keys.size;
  }

  /** Current versions for the given keys ("0" when never bumped). */
  async read(keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values.map((v) => v ?? '0');
  }
}
