import type { EventRow } from '@app/contracts';
import { BatchFlusher, FlushAbortedError, type BatchFlusherDeps } from './batch-flusher';
import type { OffsetToCommit } from './group-commit';
import type { BatchPart } from './group-commit';

const row = (id: string) => ({ event_id: id, type: 'voucher.redeemed', time: '2024-03-01 00:00:00' }) as EventRow;
const reject = { topic: 't', partition: 0, offset: '3', key: null, value: null, headers: {}, reason: 'invalid_json', detail: 'x' } as const;

function fakes(overrides: Partial<BatchFlusherDeps> = {}) {
  const calls: string[] = [];
  const committed: OffsetToCommit[][] = [];
  const deps: BatchFlusherDeps = {
    store: {
      withoutStored: async (rows) => {
        calls.push('dedup');
        return { fresh: rows, inBatch: 0, stored: 0 };
      },
      insert: async (rows) => void calls.push(`insert ${rows.length}`),
    },
    deadLetters: { publish: async (r) => void calls.push(`dlq ${r.length}`) },
    freshness: { signal: async () => void calls.push('signal') },
    log: { warn: () => undefined },
    backoff: { initialMs: 1, maxMs: 2 },
    ...overrides,
  };
  const commitOffsets = async (offsets: OffsetToCommit[]) => {
    calls.push('commit');
    committed.push(offsets);
  };
  const part = (p: Omit<BatchPart, 'heartbeat' | 'commitOffsets'>): BatchPart => ({ heartbeat: async () => undefined, commitOffsets, ...p });
  const parts = (): BatchPart[] => [
    part({ topic: 't', partition: 0, nextOffset: '4', rows: [row('a'), row('b')], rejects: [reject] }),
    part({ topic: 't', partition: 1, nextOffset: '9', rows: [row('c')], rejects: [] }),
  ];
  return { deps, calls, committed, part, parts };
}

describe('BatchFlusher', () => {
  it('writes dead letters, then rows, then signals, then commits every partition', async () => {
    const { deps, calls, committed, parts } = fakes();
    await new BatchFlusher(deps).flush(parts());
    expect(calls).toEqual(['dlq 1', 'dedup', 'insert 3', 'signal', 'commit']);
    expect(committed).toEqual([
      [
        { topic: 't', partition: 0, offset: '4' },
        { topic: 't', partition: 1, offset: '9' },
      ],
    ]);
  });

  it('publishes many dead letters in chunks and, when one chunk fails, retries only that chunk', async () => {
    const many = Array.from({ length: 6_000 }, (_, i) => ({ ...reject, offset: String(i), value: Buffer.alloc(200, 'x') }));
    const sent: string[][] = [];
    let failNext = true;
    const { deps, part } = fakes({
      deadLetters: {
        publish: async (r) => {
          if (sent.length === 1 && failNext) {
            failNext = false;
            throw new Error('broker away');
          }
          sent.push(r.map((m) => m.offset));
        },
      },
    });
    await new BatchFlusher(deps).flush([part({ topic: 't', partition: 0, nextOffset: '6000', rows: [], rejects: many })]);
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.flat()).toEqual(many.map((m) => m.offset)); // each once, in order
  });

  it('retries a failing insert without repeating the dead letters, and never commits before it succeeds', async () => {
    let failures = 2;
    const { deps, calls, parts } = fakes();
    const insert = deps.store.insert;
    deps.store.insert = async (rows, source) => {
      if (failures-- > 0) throw new Error('ClickHouse down');
      return insert(rows, source);
    };
    await new BatchFlusher(deps).flush(parts());
    expect(calls.filter((c) => c.startsWith('dlq'))).toHaveLength(1);
    expect(calls.filter((c) => c === 'dedup')).toHaveLength(3); // each retry re-checks what is stored
    expect(calls.indexOf('commit')).toBeGreaterThan(calls.indexOf('insert 3'));
  });

  it('tells the store which partitions the lookup and the insert are for', async () => {
    const seen: unknown[] = [];
    const { deps, parts } = fakes();
    deps.store.withoutStored = async (rows, source) => {
      seen.push(['lookup', source]);
      return { fresh: rows, inBatch: 0, stored: 0 };
    };
    deps.store.insert = async (_rows, source) => void seen.push(['insert', source]);
    await new BatchFlusher(deps).flush(parts());
    const source = { topic: 't', partitions: [0, 1] };
    expect(seen).toEqual([['lookup', source], ['insert', source]]);
  });

  it('stops retrying once a heartbeat says the group rebalances, rethrowing the kafkajs error and committing nothing', async () => {
    const rebalance = Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    let inserts = 0;
    let heartbeats = 0;
    const { deps, calls, parts } = fakes();
    deps.store.insert = async () => {
      inserts++;
      throw new Error('Timeout error.');
    };
    // The flush's first heartbeat is fine; the one after the failed insert reports the rebalance.
    const batch = parts().map((p) => ({ ...p, heartbeat: async () => (heartbeats++ < 2 ? undefined : Promise.reject(rebalance)) }));
    await expect(new BatchFlusher(deps).flush(batch)).rejects.toBe(rebalance);
    expect(inserts).toBe(1); // no second insert for partitions that may have a new owner
    expect(calls).not.toContain('commit');
  });

  it('inserts nothing when the partitions are already lost as the flush starts', async () => {
    const dropped = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
    const { deps, calls, parts } = fakes();
    const batch = parts().map((p) => ({ ...p, heartbeat: async () => Promise.reject(dropped) }));
    await expect(new BatchFlusher(deps).flush(batch)).rejects.toBe(dropped);
    expect(calls).toEqual([]);
  });

  it('does not insert when the keep-alive heartbeat hears of a rebalance while the dedup lookup waits', async () => {
    jest.useFakeTimers();
    try {
      const dropped = Object.assign(new Error('generation is stale'), { type: 'ILLEGAL_GENERATION' });
      let lost = false;
      const { deps, calls, parts } = fakes();
      deps.store.withoutStored = async (rows) => {
        calls.push('dedup');
        lost = true;
        await jest.advanceTimersByTimeAsync(3_000); // a long wait: the keep-alive heartbeat fires
        return { fresh: rows, inBatch: 0, stored: 0 };
      };
      const batch = parts().map((p) => ({ ...p, heartbeat: async () => (lost ? Promise.reject(dropped) : undefined) }));
      await expect(new BatchFlusher(deps).flush(batch)).rejects.toBe(dropped);
      expect(calls).toEqual(['dlq 1', 'dedup']); // no insert, no commit
    } finally {
      jest.useRealTimers();
    }
  });

  it('signals the rows an earlier attempt or a crashed process already stored, not only the ones it inserted', async () => {
    const signalled: string[] = [];
    const { deps, calls, parts } = fakes({ freshness: { signal: async (rows = []) => void signalled.push(...rows.map((r) => r.event_id)) } });
    // Redelivered after a crash between insert and signal: ClickHouse holds every row already.
    deps.store.withoutStored = async (rows) => ({ fresh: [], inBatch: 0, stored: rows.length });
    await new BatchFlusher(deps).flush(parts());
    expect(calls).toContain('insert 0');
    expect(signalled.sort()).toEqual(['a', 'b', 'c']);
  });

  it('gives up on abort without committing, so the batch is redelivered', async () => {
    const { deps, calls, parts } = fakes();
    deps.store.insert = async () => {
      throw new Error('ClickHouse down');
    };
    const flusher = new BatchFlusher(deps);
    const pending = flusher.flush(parts());
    setTimeout(() => flusher.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(FlushAbortedError);
    expect(calls).not.toContain('commit');
  });

  it('does not hold the batch on a failed commit (redelivery is deduplicated), and tries it once', async () => {
    let attempts = 0;
    const { deps, parts } = fakes();
    const batch = parts().map((p) => ({
      ...p,
      commitOffsets: async () => {
        attempts++;
        throw Object.assign(new Error('stale generation'), { type: 'ILLEGAL_GENERATION' });
      },
    }));
    await expect(new BatchFlusher(deps).flush(batch)).resolves.toBeUndefined();
    expect(attempts).toBe(1);
  });

  it('still commits when the freshness signal cannot reach Redis', async () => {
    const { deps, calls, parts } = fakes({ freshness: { signal: async () => undefined } });
    await new BatchFlusher(deps).flush(parts());
    expect(calls).toContain('commit');
  });
});
