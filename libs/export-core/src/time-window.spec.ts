import { localDate, startOfLocalDay } from '@app/time';
import { bucketDates, exportPeriod, periodMs, resolveRelativeWindow } from './time-window';

describe('export time windows', () => {
  it('finds local dates and midnights across time zones', () => {
    expect(localDate(Date.parse('2024-03-02T03:00:00Z'), 'America/New_York')).toBe('2024-03-01');
    expect(new Date(startOfLocalDay('2024-03-10', 'America/New_York')).toISOString()).toBe('2024-03-10T05:00:00.000Z');
    expect(new Date(startOfLocalDay('2024-03-11', 'America/New_York')).toISOString()).toBe('2024-03-11T04:00:00.000Z');
    expect(new Date(startOfLocalDay('2024-03-11', 'Asia/Kathmandu')).toISOString()).toBe('2024-03-10T18:15:00.000Z');
  });

  it('lists every bucket from the one holding start to the one holding end', () => {
    const s = Date.parse('2024-02-28T12:00:00Z');
    const e = Date.parse('2024-03-02T12:00:00Z');
    expect(bucketDates(s, e, 'UTC', 'day')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    expect(bucketDates(s, e, 'UTC', 'week')).toEqual(['2024-02-26']);
    expect(bucketDates(s, e, 'UTC', 'month')).toEqual(['2024-02-01', '2024-03-01']);
    expect(bucketDates(Date.parse('2024-03-04T02:00:00Z'), Date.parse('2024-03-04T06:00:00Z'), 'America/New_York', 'week')).toEqual([
      '2024-02-26',
      '2024-03-04',
    ]);
  });

  it('resolves relative schedule windows', () => {
    const now = Date.parse('2024-03-15T10:00:00Z');
    expect(resolveRelativeWindow('last_7_days', 'UTC', now)).toEqual({
      time_period: { start: '2024-03-08T10:00:00Z', end: '2024-03-15T10:00:00Z' },
      period_ms: { start: now - 7 * 86_400_000, end: now + 1 },
    });
    expect(resolveRelativeWindow('previous_month', 'UTC', now)).toEqual({
      time_period: { start: '2024-02-01T00:00:00Z', end: '2024-02-29T23:59:59Z' },
      period_ms: { start: Date.parse('2024-02-01T00:00:00Z'), end: Date.parse('2024-03-01T00:00:00Z') },
    });
    expect(resolveRelativeWindow('previous_month', 'Europe/Paris', now).time_period).toEqual({
      start: '2024-01-31T23:00:00Z',
      end: '2024-02-29T22:59:59Z',
    });
  });

  it('covers an export to the millisecond, as the analytics API does; records from before take whole seconds', () => {
    // end_date=2024-03-20T23:59:59Z includes up to .000 in the API: the export must not take the whole second.
    const end = Date.parse('2024-03-20T23:59:59Z') + 1;
    const { time_period, period_ms } = exportPeriod(Date.parse('2024-03-01T00:00:00.500Z'), end);
    expect(time_period).toEqual({ start: '2024-03-01T00:00:00Z', end: '2024-03-20T23:59:59Z' });
    expect(periodMs({ time_period, period_ms })).toEqual({ start: Date.parse('2024-03-01T00:00:00.500Z'), end });
    expect(periodMs({ time_period })).toEqual({ start: Date.parse('2024-03-01T00:00:00Z'), end: Date.parse('2024-03-21T00:00:00Z') });
  });
});
