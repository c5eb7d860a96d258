// What features of the query app (analytics, export) build on.
export * from './errors/api-error';
export { ApiErrorFilter, toApiError } from './errors/api-error.filter';
export { ApiErrorResponses, ErrorEnvelopeDto, EXPORT_CREATION_UNAVAILABLE, EXPORT_STORE_UNAVAILABLE, VOUCHER_NOT_FOUND_RESPONSE, type ErrorResponseOptions } from './errors/api-error.openapi';
export { apiValidationPipe } from './errors/validation.pipe';
export { Authenticated } from './auth/authenticated.decorator';
export { ApiKeyGuard, CurrentTenant } from './auth/api-key.guard';
export { ApiKeyStore, type Tenant } from './auth/api-key-store';
export { RateLimit, RateLimitGuard } from './rate-limit/rate-limit.guard';
export { RateLimiter, type RateLimitGroup } from './rate-limit/rate-limiter';
export { ResponseCache, type CacheRequest } from './cache/response-cache';
export { ClickHouseReader } from './clickhouse/clickhouse-reader';
export { REDIS } from './redis/redis.provider';
export * from './time/time-range';
export { CommonModule } from './common.module';
