import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ApiError, InvalidTimePeriodError } from './api-error';
import { toApiError } from './api-error.filter';

describe('toApiError', () => {
  it('keeps domain errors as they are', () => {
    const err = new InvalidTimePeriodError('too long', { max_days: 90, requested_days: 120 });
    expect(toApiError(err).toEnvelope()).toEqual({
      error: { code: 'INVALID_TIME_PERIOD', message: 'too long', details: { max_days: 90, requested_days: 120 } },
    });
  });

  it('maps framework errors without leaking their text', () => {
    expect(toApiError(new NotFoundException('Cannot GET /secret')).toEnvelope().error).toEqual({ code: 'NOT_FOUND', message: 'Route not found' });
    expect(toApiError(new BadRequestException('Unexpected token')).code).toBe('VALIDATION_ERROR');
  });

  it('never exposes an unknown error', () => {
    const mapped = toApiError(new Error('Code: 62. DB::Exception: Syntax error near SELECT * FROM voucher_events'));
    expect(mapped).toBeInstanceOf(ApiError);
    expect(mapped.toEnvelope()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
    expect(mapped.status).toBe(500);
  });
});
