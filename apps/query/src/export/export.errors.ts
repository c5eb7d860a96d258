import { ApiError } from '../common';

export class ExportNotFoundError extends ApiError {
  constructor() {
    // Same answer for an unknown id and another tenant's id: no existence leaks.
    super('EXPORT_NOT_FOUND', 'Export not found');
  }
}

export class ScheduleNotFoundError extends ApiError {
  constructor() {
    super('SCHEDULE_NOT_FOUND', 'Export schedule not found');
  }
}

export class ExportExpiredError extends ApiError {
  constructor(expiredAt?: string) {
    super('EXPORT_EXPIRED', 'Export has expired; request a new export', expiredAt ? { expired_at: expiredAt } : undefined);
  }
}

export class ExportNotReadyError extends ApiError {
  constructor(status: string, progress: number) {
    super('EXPORT_NOT_READY', 'Export is not ready yet; poll its status', { status, progress });
  }
}

/** A failed export's download answers with the export's own EXPORT_FAILED body (every writer stores that code). */
export class ExportFailedError extends ApiError {
  constructor(body: { message: string; details?: Record<string, unknown> }) {
    super('EXPORT_FAILED', body.message, body.details);
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
