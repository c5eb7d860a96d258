import type { Queue } from 'bullmq';
import { metricsRegistry } from '@app/observability';
import { ExportQueueMetrics } from './export-queue.metrics';

describe('export_queue_waiting', () => {
  let answer: () => Promise<number> = async () => 7;
  new ExportQueueMetrics({ getWaitingCount: () => answer() } as unknown as Queue);
  const scrape = async () => (await metricsRegistry.getSingleMetricAsString('export_queue_waiting')).split('\n').find((l) => l.startsWith('export_queue_waiting '));

  it('is read from the queue at each scrape', async () => {
    expect(await scrape()).toBe('export_queue_waiting 7');
    answer = async () => 12;
    expect(await scrape()).toBe('export_queue_waiting 12');
  });

  it('keeps its last value when Redis fails or does not answer, without failing the scrape', async () => {
    answer = async () => {
      throw new Error('Connection is closed.');
    };
    expect(await scrape()).toBe('export_queue_waiting 12');
    answer = () => new Promise<number>(() => undefined);
    const started = Date.now();
    expect(await scrape()).toBe('export_queue_waiting 12');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
