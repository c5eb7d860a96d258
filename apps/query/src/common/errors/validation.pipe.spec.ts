import { PerformanceQueryDto } from '../../analytics/dto/analytics-query.dto';
import { ValidationError } from './api-error';
import { apiValidationPipe } from './validation.pipe';

async function problem(query: Record<string, unknown>): Promise<ValidationError> {
  try {
    await apiValidationPipe().transform(query, { type: 'query', metatype: PerformanceQueryDto });
  } catch (err) {
    return err as ValidationError;
  }
  throw new Error('expected a validation error');
}

describe('apiValidationPipe', () => {
  it('names the offending parameter and strips it from the message', async () => {
    const err = await problem({ include_details: 'yes' });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details).toEqual({ parameter: 'include_details' });
    expect(err.message).toBe("include_details: must be true or false");
  });

  it.each(['(', 'a[', '*', '+?', '\\', 'start', ') UNION ALL SELECT 1 --'])('refuses the unknown parameter %j with a 400, whatever characters its name holds', async (name) => {
    const err = await problem({ [name]: '1' });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ parameter: name });
    expect(err.message).toBe(`${name}: should not exist`);
  });
});
