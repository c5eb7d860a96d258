import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentTenant, EXPORT_CREATION_UNAVAILABLE, VOUCHER_NOT_FOUND_RESPONSE, type Tenant } from '../common';
import { CreateScheduleDto, ScheduleDto, ScheduleListDto } from './export.dto';
import { ExportScheduleService } from './export-schedule.service';
import { KeyAuthenticated } from './key-authenticated.decorator';

const SCHEDULE_NOT_FOUND_RESPONSE = 'SCHEDULE_NOT_FOUND (also for another account’s schedule)';

@ApiTags('exports')
@Controller('v1/analytics/export/schedules')
export class ExportScheduleController {
  constructor(private readonly schedules: ExportScheduleService) {}

  @Post()
  @HttpCode(201)
  @Authenticated('export', { notFound: VOUCHER_NOT_FOUND_RESPONSE, unavailable: EXPORT_CREATION_UNAVAILABLE })
  @ApiOperation({ summary: 'Create a scheduled report: each cron tick produces a normal export (and a signed webhook call)' })
  @ApiResponse({ status: 201, type: ScheduleDto })
  create(@CurrentTenant() tenant: Tenant, @Body() body: CreateScheduleDto): Promise<ScheduleDto> {
    return this.schedules.create(tenant, body);
  }

  @Get()
  @KeyAuthenticated()
  @ApiOkResponse({ type: ScheduleListDto })
  list(@CurrentTenant() tenant: Tenant) {
    return this.schedules.list(tenant);
  }

  @Get(':schedule_id')
  @KeyAuthenticated({ notFound: SCHEDULE_NOT_FOUND_RESPONSE })
  @ApiOkResponse({ type: ScheduleDto })
  get(@CurrentTenant() tenant: Tenant, @Param('schedule_id') id: string) {
    return this.schedules.get(tenant, id);
  }

  @Delete(':schedule_id')
  @HttpCode(204)
  @KeyAuthenticated({ notFound: SCHEDULE_NOT_FOUND_RESPONSE })
  @ApiOperation({ summary: 'Delete a schedule; exports it already created stay' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  async remove(@CurrentTenant() tenant: Tenant, @Param('schedule_id') id: string): Promise<void> {
    await this.schedules.remove(tenant, id);
  }
}
