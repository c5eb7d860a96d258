import { GroupCommit, type BatchPart } from './group-commit';

const part = (partition: number, rows = 1): BatchPart => ({
  topic: 't',
  partition,
  nextOffset: '1',
  rows: Array.from({ length: rows }, () => ({}) as never),
  rejects: [],
  heartbeat: async () => undefined,
  commitOffsets: async () => undefined,
});

describe('GroupCommit', () => {
  it('flushes once when every handler of a fetch has submitted', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit(async (parts) => void flushes.push(parts.map((p) => p.partition)), { maxRows: 1_000, lingerMs: 10_000 });
    gc.enter();
    gc.enter();
    gc.enter();
    const done = [gc.submit(part(0)), gc.submit(part(1)), gc.submit(part(2))];
    await Promise.all(done);
    expect(flushes).toEqual([[0, 1, 2]]);
  });

  it('waits for a handler that entered but has not submitted yet', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit(async (parts) => void flushes.push(parts.map((p) => p.partition)), { maxRows: 1_000, lingerMs: 10_000 });
    gc.enter();
    gc.enter();
    const first = gc.submit(part(0));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushes).toEqual([]);
    await Promise.all([first, gc.submit(part(1))]);
    expect(flushes).toEqual([[0, 1]]);
  });

  it('flushes at maxRows without waiting for the others', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit(async (parts) => void flushes.push(parts.map((p) => p.partition)), { maxRows: 10, lingerMs: 10_000 });
    gc.enter();
    gc.enter();
    await gc.submit(part(0, 10));
    expect(flushes).toEqual([[0]]);
    gc.leave();
  });

  it('flushes after lingerMs when a handler never submits', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit(async (parts) => void flushes.push(parts.map((p) => p.partition)), { maxRows: 1_000, lingerMs: 30 });
    gc.enter();
    gc.enter();
    const started = Date.now();
    await gc.submit(part(0));
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(flushes).toEqual([[0]]);
  });

  it('flushes when the remaining handler leaves without submitting', async () => {
    const flushes: number[][] = [];
    const gc = new GroupCommit(async (parts) => void flushes.push(parts.map((p) => p.partition)), { maxRows: 1_000, lingerMs: 10_000 });
    gc.enter();
    gc.enter();
    const first = gc.submit(part(3));
    gc.leave();
    await first;
    expect(flushes).toEqual([[3]]);
  });

  it('rejects every waiting part when the flush fails, and keeps serving afterwards', async () => {
    let fail = true;
    const gc = new GroupCommit(
      async () => {
        if (fail) throw new Error('boom');
      },
      { maxRows: 1_000, lingerMs: 10_000 },
    );
    gc.enter();
    gc.enter();
    const results = await Promise.allSettled([gc.submit(part(0)), gc.submit(part(1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    gc.enter();
    await expect(gc.submit(part(2))).resolves.toBeUndefined();
  });

  it('runs flushes one at a time, in submission order', async () => {
    const log: string[] = [];
    const gc = new GroupCommit(
      async (parts) => {
        log.push(`start ${parts[0].partition}`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`end ${parts[0].partition}`);
      },
      { maxRows: 1, lingerMs: 10_000 },
    );
    gc.enter();
    gc.enter();
    await Promise.all([gc.submit(part(0)), gc.submit(part(1))]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
  });
});
