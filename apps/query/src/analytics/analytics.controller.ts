import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant } from '../common/auth/api-key.guard';
import type { Tenant } from '../common/auth/api-key-store';
import { Authenticated } from '../common/auth/authenticated.decorator';
import { VOUCHER_NOT_FOUND_RESPONSE } from '../common/errors/api-error.openapi';
import { AnalyticsQueryDto, PerformanceQueryDto, TrendsQueryDto, VoucherIdParams, VoucherListQueryDto } from './dto/analytics-query.dto';
import { CustomersResponseDto, PerformanceResponseDto, TrendsResponseDto, VoucherListResponseDto } from './dto/analytics-response.dto';
import { CustomersService } from './customers/customers.service';
import { PerformanceService } from './performance/performance.service';
import { TrendsService } from './trends/trends.service';
import { VoucherListService } from './vouchers/voucher-list.service';

@ApiTags('analytics')
@Controller('v1/analytics/vouchers')
export class AnalyticsController {
  constructor(
    private readonly performanceService: PerformanceService,
    private readonly trendsService: TrendsService,
    private readonly customersService: CustomersService,
    private readonly voucherList: VoucherListService,
  ) {}

  @Get()
  @Authenticated('vouchers')
  @ApiOperation({ summary: "The account's vouchers with headline figures for a period, sorted and paginated" })
  @ApiOkResponse({ type: VoucherListResponseDto })
  list(@CurrentTenant() tenant: Tenant, @Query() query: VoucherListQueryDto) {
    return this.voucherList.list(tenant, query);
  }

  @Get(':voucher_id/performance')
  @Authenticated('performance', { notFound: VOUCHER_NOT_FOUND_RESPONSE })
  @ApiOperation({ summary: 'Performance figures of one voucher for a period' })
  @ApiOkResponse({ type: PerformanceResponseDto })
  performance(@CurrentTenant() tenant: Tenant, @Param() params: VoucherIdParams, @Query() query: PerformanceQueryDto) {
    return this.performanceService.performance(tenant, params.voucher_id, query);
  }

  @Get(':voucher_id/trends')
  @Authenticated('trends', { notFound: VOUCHER_NOT_FOUND_RESPONSE })
  @ApiOperation({ summary: 'Figures of one voucher per day, week or month' })
  @ApiOkResponse({ type: TrendsResponseDto })
  trends(@CurrentTenant() tenant: Tenant, @Param() params: VoucherIdParams, @Query() query: TrendsQueryDto) {
    return this.trendsService.trends(tenant, params.voucher_id, query);
  }

  @Get(':voucher_id/customers')
  @Authenticated('customers', { notFound: VOUCHER_NOT_FOUND_RESPONSE })
  @ApiOperation({ summary: 'Customer insights of one voucher for a period' })
  @ApiOkResponse({ type: CustomersResponseDto })
  customers(@CurrentTenant() tenant: Tenant, @Param() params: VoucherIdParams, @Query() query: AnalyticsQueryDto) {
    return this.customersService.customers(tenant, params.voucher_id, query);
  }
}
