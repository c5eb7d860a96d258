import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfigModule } from '@app/config';
import { MetricsController, ObservabilityLoggerModule } from '@app/observability';
import { ExportQueueModule } from './export/export-queue.module';
import { HealthController } from './health/health.controller';

@Module({
  imports: [AppConfigModule, ObservabilityLoggerModule, TerminusModule.forRoot({ logger: false }), ExportQueueModule],
  controllers: [HealthController, MetricsController],
})
export class ExportWorkerModule {}
