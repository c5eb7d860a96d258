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
    description: 'Machine-readable context: the offending `parameter` for VALIDATION_ERROR, limits for INVALID_TIME_PERIOD.',
  })
  details?: Record<string, unknown>;
}

/** The one error shape of the API: `{ "error": { code, message, details? } }`. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBody })
  error: ErrorBody;
}

/** Documents every error a public route can answer with. */
export const ApiErrorResponses = () =>
  applyDecorators(
    ApiResponse({ status: 400, type: ErrorEnvelopeDto, description: 'VALIDATION_ERROR (details.parameter names the parameter) or INVALID_TIME_PERIOD' }),
    ApiResponse({ status: 401, type: ErrorEnvelopeDto, description: 'UNAUTHORIZED: missing or unknown API key' }),
    ApiResponse({ status: 404, type: ErrorEnvelopeDto, description: 'VOUCHER_NOT_FOUND for this account and mode' }),
    ApiResponse({ status: 429, type: ErrorEnvelopeDto, description: 'RATE_LIMIT_EXCEEDED; Retry-After says when to retry' }),
    ApiResponse({ status: 500, type: ErrorEnvelopeDto, description: 'INTERNAL_ERROR' }),
    ApiResponse({ status: 503, type: ErrorEnvelopeDto, description: 'SERVICE_UNAVAILABLE: ClickHouse cannot be reached or cannot serve the query now (overloaded, a shard down); retry later' }),
  );
