/** Seeded PRNG (LCG) so a failure can be replayed: tests print their seed in the test name. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}
