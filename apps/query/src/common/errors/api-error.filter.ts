import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from './api-error';

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  429: 'RATE_LIMIT_EXCEEDED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps anything thrown to an ApiError; unknown errors become INTERNAL_ERROR without internals. */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR');
    if (status === 404) return new ApiError('NOT_FOUND', 'Route not found');
    if (status === 413) return new ApiError('VALIDATION_ERROR', 'Request too large');
    if (code === 'INTERNAL_ERROR') return new ApiError(code, 'Internal error');
    return new ApiError(code, status === 400 ? 'Malformed request' : exception.message);
  }
  // Fastify's own client errors (bad content type, malformed body) carry a 4xx statusCode.
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ApiError(statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR', 'Malformed request');
  }
  return new ApiError('INTERNAL_ERROR', 'Internal error');
}

/** The one place errors become HTTP responses: always the envelope, never a stack or SQL. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const error = toApiError(exception);
    if (error.status >= 500) {
      // The path only: a query string may hold a working download token (?token=…).
      this.logger.error({ err: exception, url: request?.url?.split('?')[0].slice(0, 200) }, `${error.code} answering request`);
    }
    if (error.code === 'RATE_LIMIT_EXCEEDED' && typeof error.details?.retry_after_seconds === 'number') {
      reply.header('Retry-After', String(error.details.retry_after_seconds));
    }
    reply.status(error.status).send(error.toEnvelope());
  }
}
