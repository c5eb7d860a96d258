import { LocalSlidingWindow } from './sliding-window';

describe('LocalSlidingWindow (the per-process fallback while Redis is down)', () => {
  it('admits exactly the limit within a window and frees slots as they age out', () => {
    const w = new LocalSlidingWindow();
    const results = Array.from({ length: 5 }, (_, i) => w.check('k', 3, 1000, 100 + i));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results[2].remaining).toBe(0);
    expect(results[3].resetAtMs).toBe(1100);
    expect(w.check('k', 3, 1000, 1100).allowed).toBe(true);
    expect(w.check('other', 3, 1000, 1100).remaining).toBe(2);
  });
});
