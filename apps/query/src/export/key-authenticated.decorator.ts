import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrorResponses, ApiKeyGuard, EXPORT_STORE_UNAVAILABLE, type ErrorResponseOptions } from '../common';

/**
 * API key without a rate-limit group: status polls, lists and schedule reads are cheap Redis
 * reads, and only export creation has a limit (10/min, group `export`).
 */
export const KeyAuthenticated = (errors: Pick<ErrorResponseOptions, 'notFound'> = {}) =>
  applyDecorators(UseGuards(ApiKeyGuard), ApiBearerAuth(), ApiErrorResponses({ ...errors, unavailable: EXPORT_STORE_UNAVAILABLE }));
