import { Module } from '@nestjs/common';
import { ExportScheduleController } from './export-schedule.controller';
import { ExportScheduleService } from './export-schedule.service';
import { ExportController } from './export.controller';
import { exportApiProviders } from './export.providers';
import { ExportService } from './export.service';
import { DownloadAccessGuard } from './download-access.guard';

@Module({
  // The schedules controller comes first so /export/schedules is never read as an export id.
  controllers: [ExportScheduleController, ExportController],
  providers: [...exportApiProviders, ExportService, ExportScheduleService, DownloadAccessGuard],
})
export class ExportModule {}
