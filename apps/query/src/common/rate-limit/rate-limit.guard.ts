import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { RateLimitExceededError, UnauthorizedError } from '../errors/api-error';
import type { TenantRequest } from '../auth/api-key.guard';
import { RateLimiter, type RateLimitGroup } from './rate-limiter';

export const RATE_LIMIT_GROUP = 'rateLimitGroup';

/** Names the endpoint group whose limit a handler (or controller) counts against. */
export const RateLimit = (group: RateLimitGroup) => SetMetadata(RATE_LIMIT_GROUP, group);

/** Runs after ApiKeyGuard; every answer of a limited route carries the X-RateLimit-* headers. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const group = this.reflector.getAllAndOverride<RateLimitGroup | undefined>(RATE_LIMIT_GROUP, [context.getHandler(), context.getClass()]);
    if (!group) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    if (!request.tenant) throw new UnauthorizedError();
    const decision = await this.limiter.check(request.tenant.keyId, group);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.header('X-RateLimit-Limit', String(decision.limit));
    reply.header('X-RateLimit-Remaining', String(Math.max(0, decision.remaining)));
    reply.header('X-RateLimit-Reset', String(Math.ceil(decision.resetAtMs / 1000)));
    if (!decision.allowed) {
      throw new RateLimitExceededError(group, decision.limit, Math.max(1, Math.ceil((decision.resetAtMs - decision.nowMs) / 1000)));
    }
    return true;
  }
}
