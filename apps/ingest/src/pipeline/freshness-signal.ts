import type { ChangedVoucher, DataVersions } from '@app/freshness';
import type { EventRow } from '@app/contracts';

/**
 * Tells the query service which vouchers changed. Best effort by design: ingest keeps writing
 * when Redis is down; the changed vouchers wait here and are signalled once Redis answers.
 */
export class FreshnessSignal {
  /** Changed vouchers not yet signalled, each with how often a flush has marked it so far. */
  private readonly pending = new Map<string, { change: ChangedVoucher; marks: number }>();

  constructor(
    private readonly versions: DataVersions,
    private readonly onError: (err: unknown, pending: number) => void,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Records the vouchers in `rows` and tries to signal everything pending. Never throws. */
  async signal(rows: readonly EventRow[] = []): Promise<void> {
    const marked = new Set<string>();
    for (const row of rows) {
      const key = `${row.account_id}\u0000${row.livemode}\u0000${row.voucher_id}`;
      if (marked.has(key)) continue;
      marked.add(key);
      const entry = this.pending.get(key);
      if (entry) entry.marks++;
      else this.pending.set(key, { change: { accountId: row.account_id, livemode: row.livemode === 1, voucherId: row.voucher_id || undefined }, marks: 1 });
    }
    if (this.pending.size === 0) return;
    const batch = [...this.pending.entries()].map(([key, { change, marks }]) => ({ key, change, marks }));
    try {
      await this.versions.bump(batch.map((b) => b.change));
      // A voucher marked again while this bump was in flight (a newer flush, whose own bump may
      // have failed) stays pending: this bump may have reached Redis before that flush's rows
      // were stored, and answers cached in between would then outlive them.
      for (const { key, marks } of batch) if (this.pending.get(key)?.marks === marks) this.pending.delete(key);
    } catch (err) {
      this.onError(err, this.pending.size);
    }
  }
}
