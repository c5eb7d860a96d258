import { InvalidTimePeriodError, ValidationError } from '../errors/api-error';
import { calendarDays, resolveTimeRange, timePeriod } from './time-range';

const NOW = Date.parse('2024-03-20T10:00:00.000Z');

function errorOf(fn: () => unknown): { code: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; details?: Record<string, unknown> };
  }
  throw new Error('did not throw');
}

describe('resolveTimeRange', () => {
  it('date-only start is local midnight and date-only end the end of that local day', () => {
    const r = resolveTimeRange({ start_date: '2024-03-01', end_date: '2024-03-20' }, NOW);
    expect(timePeriod(r)).toEqual({ start: '2024-03-01T00:00:00Z', end: '2024-03-20T23:59:59Z' });
    expect(r.endMs).toBe(Date.parse('2024-03-21T00:00:00Z'));
  });

  it('applies the time zone, including half- and quarter-hour offsets', () => {
    expect(timePeriod(resolveTimeRange({ start_date: '2024-03-01', end_date: '2024-03-01', timezone: 'Asia/Kolkata' }, NOW))).toEqual({
      start: '2024-02-29T18:30:00Z',
      end: '2024-03-01T18:29:59Z',
    });
    expect(resolveTimeRange({ start_date: '2024-03-01', end_date: '2024-03-01', timezone: 'Asia/Kathmandu' }, NOW).startMs).toBe(
      Date.parse('2024-02-29T18:15:00Z'),
    );
  });

  it('a DST change day is 23 or 25 hours long', () => {
    const spring = resolveTimeRange({ start_date: '2024-03-10', end_date: '2024-03-10', timezone: 'America/New_York' }, NOW);
    expect(spring.startMs).toBe(Date.parse('2024-03-10T05:00:00Z'));
    expect(spring.endMs - spring.startMs).toBe(23 * 3_600_000);
    const fall = resolveTimeRange({ start_date: '2024-11-03', end_date: '2024-11-03', timezone: 'America/New_York' }, NOW);
    expect(fall.endMs - fall.startMs).toBe(25 * 3_600_000);
  });

  it('date-times with an offset, Z, or none (local to timezone)', () => {
    expect(resolveTimeRange({ start_date: '2024-03-01T10:00:00+02:00', end_date: '2024-03-02T00:00:00Z' }, NOW).startMs).toBe(
      Date.parse('2024-03-01T08:00:00Z'),
    );
    expect(resolveTimeRange({ start_date: '2024-03-01T10:00', end_date: '2024-03-02', timezone: 'Europe/Berlin' }, NOW).startMs).toBe(
      Date.parse('2024-03-01T09:00:00Z'),
    );
    expect(resolveTimeRange({ start_date: '2024-03-01T00:00:00.250Z', end_date: '2024-03-01T00:00:01.500Z' }, NOW)).toMatchObject({
      startMs: Date.parse('2024-03-01T00:00:00.250Z'),
      endMs: Date.parse('2024-03-01T00:00:01.501Z'),
    });
  });

  it('defaults to the last 30 days ending now', () => {
    const r = resolveTimeRange({}, NOW);
    expect(r.endMs).toBe(NOW + 1);
    expect(r.startMs).toBe(NOW - 30 * 86_400_000);
    expect(r.timeZone).toBe('UTC');
    expect(timePeriod(resolveTimeRange({ end_date: '2024-03-20' }, NOW))).toEqual({ start: '2024-02-20T00:00:00Z', end: '2024-03-20T23:59:59Z' });
  });

  it('90 days is allowed (also across DST), 91 is INVALID_TIME_PERIOD with details', () => {
    expect(() => resolveTimeRange({ start_date: '2024-01-01', end_date: '2024-03-30', timezone: 'America/New_York' }, NOW)).not.toThrow();
    const err = errorOf(() => resolveTimeRange({ start_date: '2024-01-01', end_date: '2024-04-29' }, NOW));
    expect(err).toBeInstanceOf(InvalidTimePeriodError);
    expect(err.details).toEqual({ max_days: 90, requested_days: 120 });
  });

  it('allows the repeated hour of a change back from summer time, and nothing more', () => {
    // 2024-09-01 … 2024-11-29 in New York: 90 local days, 90 days + 1 hour in UTC (clocks back on 3 Nov).
    expect(() => resolveTimeRange({ start_date: '2024-09-01', end_date: '2024-11-29', timezone: 'America/New_York' }, NOW)).not.toThrow();
    expect(errorOf(() => resolveTimeRange({ start_date: '2024-09-01', end_date: '2024-11-30', timezone: 'America/New_York' }, NOW)).details).toEqual({
      max_days: 90,
      requested_days: 91,
    });
    // No clock change in UTC: 90 days and 59 minutes is 91 days (it touches 91 calendar days).
    expect(errorOf(() => resolveTimeRange({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-03-31T00:59:00Z' }, NOW)).details).toEqual({
      max_days: 90,
      requested_days: 91,
    });
    expect(() => resolveTimeRange({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-03-30T23:59:59.999Z' }, NOW)).not.toThrow();
  });

  it('measures a date-time period from its first to its last instant', () => {
    // Exactly 90 days apart is 90 days (the inclusive end's extra millisecond is not a 91st day).
    expect(() => resolveTimeRange({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-03-31T00:00:00Z' }, NOW)).not.toThrow();
    expect(errorOf(() => resolveTimeRange({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-03-31T00:00:00.001Z' }, NOW)).details).toEqual({
      max_days: 90,
      requested_days: 91,
    });
    expect(errorOf(() => resolveTimeRange({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-04-30T00:00:00Z' }, NOW)).details).toEqual({
      max_days: 90,
      requested_days: 120,
    });
  });

  it('reads an offset whose unencoded + arrived as a space', () => {
    const r = resolveTimeRange({ start_date: '2024-03-01T10:00:00 02:00', end_date: '2024-03-01T12:00 0200' }, NOW);
    expect(r.startMs).toBe(Date.UTC(2024, 2, 1, 8));
    expect(r.endMs).toBe(Date.UTC(2024, 2, 1, 10) + 1);
  });

  it('start after end is INVALID_TIME_PERIOD', () => {
    expect(errorOf(() => resolveTimeRange({ start_date: '2024-03-02', end_date: '2024-03-01' }, NOW)).code).toBe('INVALID_TIME_PERIOD');
  });

  it.each([
    [{ start_date: '2024-02-30' }, 'start_date'],
    [{ start_date: 'yesterday' }, 'start_date'],
    [{ end_date: '2024-03-01T25:00:00Z' }, 'end_date'],
    [{ end_date: "2024-03-01' OR 1=1" }, 'end_date'],
    [{ timezone: 'Mars/Olympus' }, 'timezone'],
    [{ timezone: 'EST5EDT' }, 'timezone'],
    [{ timezone: "UTC'--" }, 'timezone'],
    [{ start_date: '1900-01-01' }, 'start_date'],
    [{ timezone: 'SystemV/EST5' }, 'timezone'], // ICU knows it, ClickHouse's zoneinfo does not
    [{ start_date: '' }, 'start_date'],
    [{ end_date: '' }, 'end_date'],
    [{ timezone: '' }, 'timezone'],
    [{ start_date: '2024-03-01T10:00:00 2:00' }, 'start_date'], // a spaced offset still needs hh:mm
  ])('%j is a VALIDATION_ERROR naming %s', (input, parameter) => {
    const err = errorOf(() => resolveTimeRange(input, NOW));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details).toMatchObject({ parameter });
  });

  it('counts the calendar days a period touches in its zone', () => {
    expect(calendarDays(resolveTimeRange({ start_date: '2024-03-01', end_date: '2024-03-20' }, NOW))).toBe(20);
    expect(calendarDays(resolveTimeRange({ start_date: '2024-03-01T23:00:00Z', end_date: '2024-03-02T01:00:00Z' }, NOW))).toBe(2);
  });
});
