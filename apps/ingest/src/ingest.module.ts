import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfigModule } from '@app/config';
import { MetricsController, ObservabilityLoggerModule } from '@app/observability';
import { EventConsumer } from './consumer/event-consumer.service';
import { HealthController } from './health/health.controller';
import { ingestProviders } from './ingest.providers';

@Module({
  imports: [AppConfigModule, ObservabilityLoggerModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [...ingestProviders, EventConsumer],
})
export class IngestModule {}
