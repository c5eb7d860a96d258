import type { ChangedVoucher, DataVersions } from '@app/freshness';
import type { EventRow } from '@app/contracts';

/**
 * Tells the query service which vouchers changed. Best effort by design: ingest keeps writing
 * when Redis is down; the changed vouchers wait here and are signalled once Redis answers.
 * The first successful signal of the process also bumps the epoch (DataVersions): whatever an
 * earlier process stored and could not signal before it died is covered then. So does the first
 * one after any failure or reconnection: another process may have died with signals during the
 * same outage, or Redis may be back from an older snapshot with versions that went backwards.
 */
export class FreshnessSignal {
  /** Changed vouchers not yet signalled, each with the sequence number of its latest mark. */
  private readonly pending = new Map<string, { change: ChangedVoucher; mark: number }>();
  private marks = 0;
  private epochPending = true;

  constructor(
    private readonly versions: DataVersions,
    private readonly onError: (err: unknown, pending: number) => void,
    /** After every attempt to signal, with the number of changed vouchers still waiting. */
    private readonly onPending: (pending: number) => void = () => undefined,
  ) {}

  /** Redis (re)connected: it may have been away, or restarted from an older snapshot. */
  redisConnected(): void {
    this.epochPending = true;
  }

  /** Changed vouchers waiting for Redis. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Anything to signal: changed vouchers, or this process's epoch bump. */
  get hasPending(): boolean {
    return this.epochPending || this.pending.size > 0;
  }

  /** Records the vouchers in `rows` and tries to signal everything pending. Never throws. */
  async signal(rows: readonly EventRow[] = []): Promise<void> {
    for (const row of rows) {
      const key = `${row.account_id}\u0000${row.livemode}\u0000${row.voucher_id}`;
      const mark = ++this.marks;
      const entry = this.pending.get(key);
      if (entry) entry.mark = mark;
      else this.pending.set(key, { change: { accountId: row.account_id, livemode: row.livemode === 1, voucherId: row.voucher_id || undefined }, mark });
    }
    if (!this.hasPending) return;
    const batch = [...this.pending].map(([key, { change, mark }]) => ({ key, change, mark }));
    const epoch = this.epochPending;
    try {
      await this.versions.bump(batch.map((b) => b.change), { epoch });
      if (epoch) this.epochPending = false;
      // A voucher marked again while this bump was in flight (a newer flush, whose own bump may
      // have failed) stays pending: this bump may have reached Redis before that flush's rows
      // were stored, and answers cached in between would then outlive them. Marks are numbered
      // across the process, so a voucher dropped and marked anew never matches an older bump.
      for (const { key, mark } of batch) if (this.pending.get(key)?.mark === mark) this.pending.delete(key);
    } catch (err) {
      this.epochPending = true;
      this.onError(err, this.pending.size);
    }
    this.onPending(this.pending.size);
  }
}
