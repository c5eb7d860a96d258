import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { gauge } from '@app/observability';
import { answerWithin } from './answer-within';
import { EXPORT_QUEUE } from './export-worker.providers';

/** How long a scrape waits for Redis: BullMQ's connection queues commands while Redis is away. */
const READ_TIMEOUT_MS = 1_000;

/**
 * Sets export_queue_waiting when Prometheus scrapes, from the queue itself, so it is exact at
 * that moment and costs nothing between scrapes. If Redis does not answer in time the gauge
 * keeps its last value rather than failing the whole /metrics answer.
 */
@Injectable()
export class ExportQueueMetrics {
  constructor(@Inject(EXPORT_QUEUE) queue: Queue) {
    const waiting = gauge('export_queue_waiting', 'Export jobs waiting in the BullMQ queue, read at each scrape (the backlog alert and KEDA watch the same list)', [], async () => {
      // Redis away or slow: keep the last value; the worker's readiness reports Redis itself.
      const count = await answerWithin(queue.getWaitingCount(), READ_TIMEOUT_MS).catch(() => undefined);
      if (count !== undefined) waiting.set(count);
    });
  }
}
