import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS } from './api-error';

class ErrorBody {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'INVALID_TIME_PERIOD' })
  code: string;

  @ApiProperty({ example: 'Time period exceeds maximum allowed range' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { max_days: 90, requested_days: 120 },
    description:
      'Machine-readable context. VALIDATION_ERROR: `{ parameter }`; INVALID_TIME_PERIOD: `{ max_days, requested_days }` or `{ start, end }`; ' +
      'VOUCHER_NOT_FOUND: `{ not_found, found }`; RATE_LIMIT_EXCEEDED: `{ group, limit, retry_after_seconds }`; ' +
      'EXPORT_NOT_READY: `{ status, progress }`; EXPORT_EXPIRED: `{ expired_at }`; EXPORT_FAILED: the failure, e.g. `{ reason, max_records, requested_records }`.',
  })
  details?: Record<string, unknown>;
}

/** The one error shape of the API: `{ "error": { code, message, details? } }`. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBody })
  error: ErrorBody;
}

/** The 404 of routes that name vouchers (analytics endpoints, export and schedule creation). */
export const VOUCHER_NOT_FOUND_RESPONSE =
  'VOUCHER_NOT_FOUND: unknown for this account and mode (another tenant\'s voucher is reported the same way); details: { not_found, found }';

export interface ErrorResponseOptions {
  /** What a 404 means on this route; without it the route documents no 404 of its own here. */
  notFound?: string;
  /** The route counts against a rate-limit group: 429 with Retry-After. */
  rateLimited?: boolean;
  /** What a 503 means on this route; by default ClickHouse unavailable (the analytics routes). */
  unavailable?: string;
}

const CLICKHOUSE_UNAVAILABLE = 'SERVICE_UNAVAILABLE: ClickHouse cannot be reached or cannot serve the query now (overloaded, a shard down); retry later';
/** The 503 of routes served from the export store. */
export const EXPORT_STORE_UNAVAILABLE = 'SERVICE_UNAVAILABLE: the export store (Redis) cannot be reached; retry later';
/** The 503 of export and schedule creation, which look the vouchers up and store a record. */
export const EXPORT_CREATION_UNAVAILABLE = 'SERVICE_UNAVAILABLE: ClickHouse (the voucher lookup) or the export store (Redis) cannot be reached; retry later';

/** Documents the errors a public route can answer with. */
export const ApiErrorResponses = ({ notFound, rateLimited = false, unavailable = CLICKHOUSE_UNAVAILABLE }: ErrorResponseOptions = {}) =>
  applyDecorators(
    ApiResponse({ status: 400, type: ErrorEnvelopeDto, description: 'VALIDATION_ERROR (details.parameter names the parameter) or INVALID_TIME_PERIOD' }),
    ApiResponse({ status: 401, type: ErrorEnvelopeDto, description: 'UNAUTHORIZED: missing or unknown API key' }),
    ...(notFound ? [ApiResponse({ status: 404, type: ErrorEnvelopeDto, description: notFound })] : []),
    ...(rateLimited
      ? [
          ApiResponse({
            status: 429,
            type: ErrorEnvelopeDto,
            description: 'RATE_LIMIT_EXCEEDED for this API key and endpoint group',
            headers: { 'Retry-After': { description: 'Seconds until a request would be accepted', schema: { type: 'integer' } } },
          }),
        ]
      : []),
    ApiResponse({ status: 500, type: ErrorEnvelopeDto, description: 'INTERNAL_ERROR' }),
    ApiResponse({ status: 503, type: ErrorEnvelopeDto, description: unavailable }),
  );
