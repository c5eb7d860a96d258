import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfigModule } from '@app/config';
import { MetricsController, ObservabilityLoggerModule } from '@app/observability';
import { AnalyticsModule } from './analytics/analytics.module';
import { CommonModule } from './common/common.module';
import { ApiErrorFilter } from './common/errors/api-error.filter';
import { ExportModule } from './export/export.module';
import { HealthController } from './health/health.controller';

@Module({
  imports: [AppConfigModule, ObservabilityLoggerModule, CommonModule, AnalyticsModule, ExportModule],
  controllers: [HealthController, MetricsController],
  providers: [{ provide: APP_FILTER, useClass: ApiErrorFilter }],
})
export class QueryModule {}
