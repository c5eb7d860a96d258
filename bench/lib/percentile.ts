/** Nearest-rank percentiles (each p in 0–100) of a list of timings, sorted once; the list is not modified. */
export function percentiles(values: number[], ps: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN);
}

/** The nearest-rank percentile (p in 0–100) of a list of timings; the list is not modified. */
export function percentile(values: number[], p: number): number {
  return percentiles(values, [p])[0];
}
