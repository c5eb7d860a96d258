import { Inject, Injectable, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors/api-error';
import { ApiKeyStore, type Tenant } from './api-key-store';

export type TenantRequest = FastifyRequest & { tenant?: Tenant };

/** `Authorization: Bearer sk_…` → request.tenant; anything else is 401 UNAUTHORIZED. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const tenant = match ? this.keys.authenticate(match[1]) : undefined;
    if (!tenant) throw new UnauthorizedError();
    request.tenant = tenant;
    return true;
  }
}

/** The authenticated caller (set by ApiKeyGuard). */
export const CurrentTenant = createParamDecorator((_: unknown, context: ExecutionContext): Tenant => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  if (!tenant) throw new UnauthorizedError();
  return tenant;
});
