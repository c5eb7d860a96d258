import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process. Metrics are module-level singletons so that hot paths
 * record them without injection; `/metrics` serialises this registry.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

/** `collect`, when given, runs at each scrape (a value read from elsewhere, e.g. a queue's length). */
export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: () => Promise<void> | void): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [metricsRegistry], ...(collect ? { collect } : {}) });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  return new Histogram({ name, help, buckets, labelNames, registers: [metricsRegistry] });
}
