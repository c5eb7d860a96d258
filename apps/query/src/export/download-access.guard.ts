import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyGuard, type Tenant } from '../common';

export type DownloadRequestTenant = FastifyRequest & { tenant?: Tenant; query: { token?: string } };

/**
 * Downloads accept either the API key or a signed token (checked by the service, which knows the
 * export id it is bound to). Without a token this is exactly the API key guard.
 */
@Injectable()
export class DownloadAccessGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeyGuard) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<DownloadRequestTenant>();
    if (typeof request.query?.token === 'string') return true;
    return this.apiKeys.canActivate(context);
  }
}

/** The API-key tenant of a download request (undefined when a signed token is used instead). */
export const CurrentDownloadTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<DownloadRequestTenant>().tenant,
);
