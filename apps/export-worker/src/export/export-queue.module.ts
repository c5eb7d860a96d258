import { Module } from '@nestjs/common';
import { ExportGenerator } from './export-generator.service';
import { ExportMaintenance } from './export-maintenance.service';
import { ExportProcessor } from './export.processor';
import { ExportQueueMetrics } from './export-queue.metrics';
import { exportWorkerProviders, REDIS } from './export-worker.providers';
import { WebhookNotifier } from './webhook-notifier.service';

/** The export worker's queue consumer and everything it needs (processors in their own module). */
@Module({
  providers: [...exportWorkerProviders, ExportGenerator, ExportMaintenance, WebhookNotifier, ExportProcessor, ExportQueueMetrics],
  exports: [ExportProcessor, REDIS],
})
export class ExportQueueModule {}
