import { Body, Controller, Get, HttpCode, Param, Post, Query, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentTenant, ErrorEnvelopeDto, EXPORT_CREATION_UNAVAILABLE, VOUCHER_NOT_FOUND_RESPONSE, type Tenant } from '../common';
import { CreateExportDto, DownloadQueryDto, ExportCreatedDto, ExportListDto, ExportStatusDto, ListExportsQueryDto } from './export.dto';
import { ExportService } from './export.service';
import { CurrentDownloadTenant, DownloadAccessGuard } from './download-access.guard';
import { KeyAuthenticated } from './key-authenticated.decorator';

const EXPORT_NOT_FOUND_RESPONSE = 'EXPORT_NOT_FOUND (also for another account’s export)';

@ApiTags('exports')
@Controller('v1/analytics')
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Post('export')
  @HttpCode(202)
  @Authenticated('export', { notFound: VOUCHER_NOT_FOUND_RESPONSE, unavailable: EXPORT_CREATION_UNAVAILABLE })
  @ApiOperation({ summary: 'Request an export (CSV, JSON or XLSX); generated asynchronously by the export worker' })
  @ApiResponse({ status: 202, type: ExportCreatedDto })
  create(@CurrentTenant() tenant: Tenant, @Body() body: CreateExportDto): Promise<ExportCreatedDto> {
    return this.exports.create(tenant, body);
  }

  @Get('exports')
  @KeyAuthenticated()
  @ApiOperation({ summary: "The account's exports, newest first" })
  @ApiOkResponse({ type: ExportListDto })
  list(@CurrentTenant() tenant: Tenant, @Query() query: ListExportsQueryDto): Promise<ExportListDto> {
    return this.exports.list(tenant, query.limit ?? 20, query.cursor);
  }

  @Get('export/:export_id')
  @KeyAuthenticated({ notFound: EXPORT_NOT_FOUND_RESPONSE })
  @ApiOperation({ summary: 'Status of one export; completed exports carry a signed download_url' })
  @ApiOkResponse({ type: ExportStatusDto })
  status(@CurrentTenant() tenant: Tenant, @Param('export_id') id: string) {
    return this.exports.status(tenant, id);
  }

  @Get('export/:export_id/download')
  @UseGuards(DownloadAccessGuard)
  @ApiOperation({ summary: 'The export file, with the API key or the signed token from download_url' })
  @ApiBearerAuth()
  @ApiResponse({
    status: 200,
    description: 'The file, in the format the export was requested in',
    headers: { 'Content-Disposition': { description: 'attachment; filename="export_<id>.<ext>"', schema: { type: 'string' } } },
    // Per media type here, so the error responses below stay JSON (@ApiProduces would type them all).
    content: Object.fromEntries(
      ['text/csv', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    ),
  })
  @ApiResponse({ status: 400, type: ErrorEnvelopeDto, description: 'VALIDATION_ERROR: an unknown query parameter' })
  @ApiResponse({ status: 401, type: ErrorEnvelopeDto, description: 'UNAUTHORIZED: neither a valid API key nor a valid, unexpired token' })
  @ApiResponse({ status: 404, type: ErrorEnvelopeDto, description: EXPORT_NOT_FOUND_RESPONSE })
  @ApiResponse({ status: 409, type: ErrorEnvelopeDto, description: 'EXPORT_NOT_READY (queued or processing)' })
  @ApiResponse({ status: 410, type: ErrorEnvelopeDto, description: 'EXPORT_EXPIRED' })
  @ApiResponse({ status: 500, type: ErrorEnvelopeDto, description: 'EXPORT_FAILED: the failed export’s own error body' })
  @ApiResponse({ status: 503, type: ErrorEnvelopeDto, description: 'SERVICE_UNAVAILABLE: the export store (Redis) cannot be reached' })
  async download(
    @Param('export_id') id: string,
    @Query() query: DownloadQueryDto,
    @CurrentDownloadTenant() tenant: Tenant | undefined,
  ): Promise<StreamableFile> {
    const file = await this.exports.download(id, { tenant, token: query.token });
    return new StreamableFile(file.stream, { type: file.contentType, disposition: `attachment; filename="${file.fileName}"` });
  }
}
