import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { CustomersService } from './customers/customers.service';
import { PerformanceService } from './performance/performance.service';
import { AnalyticsRepository } from './storage/analytics.repository';
import { TrendsService } from './trends/trends.service';
import { VoucherScopeService } from './voucher-scope.service';
import { VoucherListService } from './vouchers/voucher-list.service';

@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsRepository, VoucherScopeService, PerformanceService, TrendsService, CustomersService, VoucherListService],
  exports: [AnalyticsRepository],
})
export class AnalyticsModule {}
