import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard';
import type { RateLimitGroup } from '../rate-limit/rate-limiter';
import { ApiErrorResponses, type ErrorResponseOptions } from '../errors/api-error.openapi';
import { ApiKeyGuard } from './api-key.guard';

/**
 * The decorator stack of every rate-limited public route: API key, the group's rate limit, and
 * the error responses in the OpenAPI document (`notFound`: what a 404 means there, if it has
 * one). The export API uses it as `@Authenticated('export', …)`.
 */
export const Authenticated = (group: RateLimitGroup, errors: Pick<ErrorResponseOptions, 'notFound' | 'unavailable'> = {}) =>
  applyDecorators(RateLimit(group), UseGuards(ApiKeyGuard, RateLimitGuard), ApiBearerAuth(), ApiErrorResponses({ ...errors, rateLimited: true }));
