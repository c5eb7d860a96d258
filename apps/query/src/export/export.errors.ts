import { ApiError, type ErrorCode } from '../common';

/**
 * Errors only the export API answers with. The shared ERROR_STATUS table does not list them, so
 * each carries its own HTTP status; the global filter still renders the one envelope.
 */
class ExportApiError extends ApiError {
  constructor(
    private readonly httpStatus: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code as ErrorCode, message, details);
  }

  override get status(): number {
    return this.httpStatus;
  }
}

export class ExportNotFoundError extends ExportApiError {
  constructor() {
    // Same answer for an unknown id and another tenant's id: no existence leaks.
    super(404, 'EXPORT_NOT_FOUND', 'Export not found');
  }
}

export class ScheduleNotFoundError extends ExportApiError {
  constructor() {
    super(404, 'SCHEDULE_NOT_FOUND', 'Export schedule not found');
  }
}

export class ExportExpiredError extends ExportApiError {
  constructor(expiredAt?: string) {
    super(410, 'EXPORT_EXPIRED', 'Export has expired; request a new export', expiredAt ? { expired_at: expiredAt } : undefined);
  }
}

export class ExportNotReadyError extends ExportApiError {
  constructor(status: string, progress: number) {
    super(409, 'EXPORT_NOT_READY', 'Export is not ready yet; poll its status', { status, progress });
  }
}

/** A failed export's download answers with the export's own EXPORT_FAILED body. */
export class ExportFailedError extends ExportApiError {
  constructor(body: { code: string; message: string; details?: Record<string, unknown> }) {
    super(500, body.code, body.message, body.details);
  }
}

export class VouchersNotFoundError extends ApiError {
  constructor(notFound: string[], found: string[]) {
    super('VOUCHER_NOT_FOUND', 'One or more vouchers not found', { not_found: notFound, found });
  }
}

export class ExportStoreUnavailableError extends ApiError {
  constructor() {
    super('SERVICE_UNAVAILABLE', 'Export service is temporarily unavailable; retry shortly');
  }
}

export class InvalidDownloadTokenError extends ApiError {
  constructor(expired: boolean) {
    super(
      'UNAUTHORIZED',
      expired
        ? 'Download link has expired; GET the export again for a fresh download_url'
        : 'Invalid download token',
    );
  }
}
