import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard';
import type { RateLimitGroup } from '../rate-limit/rate-limiter';
import { ApiErrorResponses } from '../errors/api-error.openapi';
import { ApiKeyGuard } from './api-key.guard';

/**
 * The decorator stack of every public analytics route: API key, the group's rate limit, and the
 * error responses in the OpenAPI document. The export API uses it as `@Authenticated('export')`.
 */
export const Authenticated = (group: RateLimitGroup) =>
  applyDecorators(RateLimit(group), UseGuards(ApiKeyGuard, RateLimitGuard), ApiBearerAuth(), ApiErrorResponses());
