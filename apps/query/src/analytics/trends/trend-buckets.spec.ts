import { resolveTimeRange } from '../../common/time/time-range';
import { bucketDates, bucketsAreUtcDays, bucketStart } from './trend-buckets';

describe('trend buckets', () => {
  it('weeks start on Monday, months on the 1st', () => {
    expect(bucketStart('2024-03-10', 'week')).toBe('2024-03-04'); // Sunday
    expect(bucketStart('2024-03-11', 'week')).toBe('2024-03-11'); // Monday
    expect(bucketStart('2024-03-31', 'month')).toBe('2024-03-01');
  });

  it('every bucket from the one containing start to the one containing end', () => {
    const range = resolveTimeRange({ start_date: '2024-02-28', end_date: '2024-03-02' });
    expect(bucketDates(range, 'day')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    expect(bucketDates(range, 'week')).toEqual(['2024-02-26']);
    expect(bucketDates(range, 'month')).toEqual(['2024-02-01', '2024-03-01']);
    const year = resolveTimeRange({ start_date: '2024-12-15', end_date: '2025-01-10' });
    expect(bucketDates(year, 'month')).toEqual(['2024-12-01', '2025-01-01']);
    expect(bucketDates(year, 'week')).toEqual(['2024-12-09', '2024-12-16', '2024-12-23', '2024-12-30', '2025-01-06']);
  });

  it('uses local days of the time zone', () => {
    const range = resolveTimeRange({ start_date: '2024-03-01T20:00:00Z', end_date: '2024-03-02T02:00:00Z', timezone: 'Asia/Tokyo' });
    expect(bucketDates(range, 'day')).toEqual(['2024-03-02']);
  });
});

describe('bucketsAreUtcDays', () => {
  const range = (start: string, end: string, timeZone: string) => ({ startMs: Date.parse(start), endMs: Date.parse(end), timeZone });

  it('holds for UTC and for zones at offset 0 on every day of the range', () => {
    expect(bucketsAreUtcDays(range('2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z', 'UTC'))).toBe(true);
    expect(bucketsAreUtcDays(range('2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z', 'Europe/London'))).toBe(true);
  });

  it('fails for other offsets, and for a range that reaches a DST change', () => {
    expect(bucketsAreUtcDays(range('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'Asia/Kolkata'))).toBe(false);
    expect(bucketsAreUtcDays(range('2024-07-01T00:00:00Z', '2024-07-02T00:00:00Z', 'Europe/London'))).toBe(false);
    expect(bucketsAreUtcDays(range('2024-03-01T00:00:00Z', '2024-03-31T12:00:00Z', 'Europe/London'))).toBe(false);
  });
});
