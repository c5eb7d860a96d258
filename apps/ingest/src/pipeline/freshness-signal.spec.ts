import type { ChangedVoucher, DataVersions } from '@app/freshness';
import type { EventRow } from '@app/contracts';
import { FreshnessSignal } from './freshness-signal';

const row = (voucher: string) => ({ account_id: 'acc', livemode: 0, voucher_id: voucher }) as EventRow;

/** A DataVersions whose bumps are settled by the test, one at a time. */
function manualVersions() {
  const calls: Array<{ changes: ChangedVoucher[]; epoch: boolean; settle: (err?: Error) => void }> = [];
  const versions = {
    bump: (changes: Iterable<ChangedVoucher>, options: { epoch?: boolean } = {}) =>
      new Promise<number>((resolve, reject) =>
        calls.push({ changes: [...changes], epoch: options.epoch === true, settle: (err) => (err ? reject(err) : resolve(1)) }),
      ),
  } as unknown as DataVersions;
  return { versions, calls };
}

/** One signal whose bump Redis answers at once: accepted, or refused with `err`. */
async function signalSettled(signal: FreshnessSignal, calls: ReturnType<typeof manualVersions>['calls'], rows?: EventRow[], err?: Error): Promise<void> {
  const done = signal.signal(rows);
  calls[calls.length - 1].settle(err);
  await done;
}

describe('FreshnessSignal', () => {
  it('signals each changed voucher once per flush and forgets it once Redis took it', async () => {
    const { versions, calls } = manualVersions();
    const signal = new FreshnessSignal(versions, () => undefined);
    const done = signal.signal([row('v1'), row('v1'), row('v2')]);
    expect(calls[0].changes.map((c) => c.voucherId)).toEqual(['v1', 'v2']);
    calls[0].settle();
    await done;
    expect(signal.pendingCount).toBe(0);
  });

  it("bumps the epoch with the process's first successful signal, and only then", async () => {
    const { versions, calls } = manualVersions();
    const signal = new FreshnessSignal(versions, () => undefined);
    expect(signal.hasPending).toBe(true); // the retry timer bumps it even before any event arrives
    await signalSettled(signal, calls, undefined, new Error('Redis down')); // Redis away: the epoch stays owed
    expect([calls[0].epoch, signal.hasPending]).toEqual([true, true]);
    await signalSettled(signal, calls, [row('v1')]);
    expect([calls[1].epoch, signal.hasPending]).toEqual([true, false]);
    await signalSettled(signal, calls, [row('v2')]);
    expect(calls[2].epoch).toBe(false);
  });

  it('bumps the epoch again after a failure or a reconnection: others may have lost signals meanwhile', async () => {
    const { versions, calls } = manualVersions();
    const signal = new FreshnessSignal(versions, () => undefined);
    await signalSettled(signal, calls);
    expect(signal.hasPending).toBe(false);
    await signalSettled(signal, calls, [row('v1')], new Error('Redis down'));
    await signalSettled(signal, calls); // recovered
    expect(calls.map((c) => c.epoch)).toEqual([true, false, true]);
    signal.redisConnected();
    expect(signal.hasPending).toBe(true);
    await signalSettled(signal, calls);
    expect(calls[3].epoch).toBe(true);
  });

  it('keeps a voucher pending when Redis fails, and retries it on the next call', async () => {
    const { versions, calls } = manualVersions();
    const errors: number[] = [];
    const signal = new FreshnessSignal(versions, (_err, pending) => errors.push(pending));
    await signalSettled(signal, calls, [row('v1')], new Error('Redis down'));
    expect([signal.pendingCount, errors]).toEqual([1, [1]]);
    await signalSettled(signal, calls); // the retry
    expect(signal.pendingCount).toBe(0);
  });

  it('reports the pending count after every attempt, so a flush that clears the backlog clears the gauge', async () => {
    const { versions, calls } = manualVersions();
    const reported: number[] = [];
    const signal = new FreshnessSignal(versions, () => undefined, (pending) => reported.push(pending));
    await signalSettled(signal, calls, [row('v1'), row('v2')], new Error('Redis down'));
    await signalSettled(signal, calls, [row('v3')]); // a flush's own signal, not the timer's
    expect(reported).toEqual([2, 0]);
  });

  it('does not forget a voucher that a newer flush marked while an older bump was in flight', async () => {
    const { versions, calls } = manualVersions();
    const signal = new FreshnessSignal(versions, () => undefined);
    void signal.signal([row('v1')]); // first flush: its bump fails, v1 stays pending
    calls[0].settle(new Error('Redis down'));
    await new Promise((r) => setImmediate(r));
    const timerRetry = signal.signal(); // the 1 s retry timer: bump of v1 in flight…
    const newerFlush = signal.signal([row('v1')]); // …while a newer flush stores more v1 rows; its bump fails
    calls[2].settle(new Error('Redis down'));
    await newerFlush;
    calls[1].settle(); // the older bump lands, possibly before the newer rows were stored
    await timerRetry;
    expect(signal.pendingCount).toBe(1); // so v1 is signalled once more
  });

  it('never lets an older bump clear a voucher dropped and marked anew (bumps finishing out of order)', async () => {
    const { versions, calls } = manualVersions();
    const signal = new FreshnessSignal(versions, () => undefined);
    const first = signal.signal([row('v1')]); // bump 0 in flight
    const retry = signal.signal(); // bump 1 in flight, same voucher
    calls[1].settle(); // bump 1 lands first: v1 is signalled and dropped
    await retry;
    const again = signal.signal([row('v1')]); // newer rows for v1: bump 2, which fails
    calls[2].settle(new Error('Redis down'));
    await again;
    calls[0].settle(); // the oldest bump lands last
    await first;
    expect(signal.pendingCount).toBe(1);
  });
});
