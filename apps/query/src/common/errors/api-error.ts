/** Every error code the public API answers with, and its HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_TIME_PERIOD: 400,
  UNAUTHORIZED: 401,
  VOUCHER_NOT_FOUND: 404,
  NOT_FOUND: 404,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  // The export API's own (docs/exports.md).
  EXPORT_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  EXPORT_NOT_READY: 409,
  EXPORT_EXPIRED: 410,
  EXPORT_FAILED: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/**
 * A typed domain error. Code anywhere below the controllers throws these; the one global filter
 * turns them into the envelope, so no handler builds an error response itself.
 */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export class ValidationError extends ApiError {
  constructor(parameter: string, message: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_ERROR', `${parameter}: ${message}`, { parameter, ...details });
  }
}

export class InvalidTimePeriodError extends ApiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_TIME_PERIOD', message, details);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Missing or invalid API key') {
    super('UNAUTHORIZED', message);
  }
}

/**
 * The product documentation's body, for one voucher (analytics) or several (exports). A voucher
 * of another tenant is reported exactly like one that does not exist: no existence leaks.
 */
export class VoucherNotFoundError extends ApiError {
  constructor(notFound: string[], found: string[] = []) {
    super('VOUCHER_NOT_FOUND', 'One or more vouchers not found', { not_found: notFound, found });
  }
}

export class RateLimitExceededError extends ApiError {
  constructor(group: string, limit: number, retryAfterSeconds: number) {
    super('RATE_LIMIT_EXCEEDED', `Rate limit of ${limit} requests per window exceeded for ${group}`, {
      group,
      limit,
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message = 'Analytics storage is unavailable; retry shortly') {
    super('SERVICE_UNAVAILABLE', message);
  }
}
