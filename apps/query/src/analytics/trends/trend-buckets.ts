import { sqlString } from '@app/clickhouse';
import { addDays, DAY_MS, localDate, offsetMs } from '@app/time';
import type { TimeRange } from '../../common/time/time-range';
import type { Interval } from '../dto/analytics-query.dto';

/** First day (YYYY-MM-DD) of the bucket containing a local date. */
export function bucketStart(date: string, interval: Interval): string {
  if (interval === 'day') return date;
  if (interval === 'month') return `${date.slice(0, 8)}01`;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

function nextBucket(start: string, interval: Interval): string {
  if (interval === 'day') return addDays(start, 1);
  if (interval === 'week') return addDays(start, 7);
  const y = Number(start.slice(0, 4));
  const m = Number(start.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/** Every bucket from the one containing start to the one containing end, in the range's zone. */
export function bucketDates(range: TimeRange, interval: Interval): string[] {
  const last = bucketStart(localDate(range.endMs - 1, range.timeZone), interval);
  const dates: string[] = [];
  for (let d = bucketStart(localDate(range.startMs, range.timeZone), interval); d <= last; d = nextBucket(d, interval)) dates.push(d);
  return dates;
}

/** The same bucketing in ClickHouse, over a DateTime column (the zone name is validated and canonical). */
export function bucketSql(interval: Interval, timeZone: string): (column: string) => string {
  const zone = sqlString(timeZone);
  return (column) => {
    const date = `toDate(${column}, ${zone})`;
    if (interval === 'day') return `toString(${date})`;
    if (interval === 'week') return `toString(toMonday(${date}))`;
    return `toString(toStartOfMonth(${date}))`;
  };
}

/**
 * Whether every bucket boundary of the range in its zone is a UTC midnight, so whole UTC days
 * can be read from the daily rollup: the zone is at offset 0 on every day of the range.
 */
export function bucketsAreUtcDays(range: TimeRange): boolean {
  for (let ms = range.startMs; ; ms += DAY_MS) {
    if (offsetMs(Math.min(ms, range.endMs), range.timeZone) !== 0) return false;
    if (ms >= range.endMs) return true;
  }
}
