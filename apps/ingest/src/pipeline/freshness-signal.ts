import type { ChangedVoucher, DataVersions } from '@app/freshness';
import type { EventRow } from '@app/contracts';

/**
 * Tells the query service which vouchers changed. Best effort by design: ingest keeps writing
 * when Redis is down; the changed vouchers wait here and are signalled once Redis answers.
 */
export class FreshnessSignal {
  private readonly pending = new Map<string, ChangedVoucher>();

  constructor(
    private readonly versions: DataVersions,
    private readonly onError: (err: unknown, pending: number) => void,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Records the vouchers in `rows` and tries to signal everything pending. Never throws. */
  async signal(rows: readonly EventRow[] = []): Promise<void> {
    for (const row of rows) {
      const key = `${row.account_id}\u0000${row.livemode}\u0000${row.voucher_id}`;
      if (!this.pending.has(key)) {
        this.pending.set(key, {
          accountId: row.account_id,
          livemode: row.livemode === 1,
          voucherId: row.voucher_id || undefined,
        });
      }
    }
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()];
    try {
      await this.versions.bump(batch.map(([, change]) => change));
      for (const [key] of batch) this.pending.delete(key);
    } catch (err) {
      this.onError(err, this.pending.size);
    }
  }
}
