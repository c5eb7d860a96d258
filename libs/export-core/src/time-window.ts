import { addDays, DAY_MS, localDate, startOfLocalDay } from '@app/time';
import type { ExportGranularity, ExportSpec, RelativeWindow } from './export.types';

// Zone arithmetic (local dates, local midnights across DST) is @app/time's, shared with the
// query API, so an export's buckets and the trends endpoint's buckets cannot drift apart.

function bucketStart(date: string, granularity: Exclude<ExportGranularity, 'event'>): string {
  if (granularity === 'day') return date;
  if (granularity === 'month') return `${date.slice(0, 8)}01`;
  const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0 (ISO weeks)
  return addDays(date, -weekday);
}

function nextBucket(date: string, granularity: Exclude<ExportGranularity, 'event'>): string {
  if (granularity === 'day') return addDays(date, 1);
  if (granularity === 'week') return addDays(date, 7);
  const d = new Date(`${date}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

/** Every bucket's first day from the bucket holding `start` to the one holding `end`, in `tz`. */
export function bucketDates(startMs: number, endMs: number, tz: string, granularity: Exclude<ExportGranularity, 'event'>): string[] {
  const last = bucketStart(localDate(endMs, tz), granularity);
  const out: string[] = [];
  for (let d = bucketStart(localDate(startMs, tz), granularity); d <= last; d = nextBucket(d, granularity)) out.push(d);
  return out;
}

export const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A period as exports hold it: shown in seconds, covered to the millisecond (end exclusive). */
export function exportPeriod(startMs: number, endMs: number): { time_period: { start: string; end: string }; period_ms: { start: number; end: number } } {
  return { time_period: { start: isoSeconds(startMs), end: isoSeconds(endMs - 1) }, period_ms: { start: startMs, end: endMs } };
}

/** The millisecond bounds of an export's rows (end exclusive); older records only have seconds. */
export function periodMs(spec: Pick<ExportSpec, 'time_period' | 'period_ms'>): { start: number; end: number } {
  return spec.period_ms ?? { start: Date.parse(spec.time_period.start), end: Date.parse(spec.time_period.end) + 1000 };
}

/** A schedule's relative window at the moment it runs, as an absolute UTC period. */
export function resolveRelativeWindow(window: RelativeWindow, tz: string, nowMs = Date.now()): ReturnType<typeof exportPeriod> {
  if (window === 'previous_month') {
    const today = localDate(nowMs, tz);
    const thisMonth = `${today.slice(0, 8)}01`;
    const d = new Date(`${thisMonth}T00:00:00Z`);
    const prevMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
    return exportPeriod(startOfLocalDay(prevMonth, tz), startOfLocalDay(thisMonth, tz));
  }
  const days = window === 'last_7_days' ? 7 : 30;
  return exportPeriod(nowMs - days * DAY_MS, nowMs + 1);
}
