import type { ExportGranularity, RelativeWindow } from './export.types';

const DAY_MS = 86_400_000;

export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(ms: number, tz: string): Record<string, number> {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The calendar date (YYYY-MM-DD) an instant falls on in `tz`. */
export function localDate(ms: number, tz: string): string {
  const p = partsIn(ms, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** UTC offset of `tz` at an instant, in ms (positive east of Greenwich). */
function offsetMs(ms: number, tz: string): number {
  const p = partsIn(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight of `date` (YYYY-MM-DD) happens in `tz`. */
export function startOfLocalDay(date: string, tz: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const first = guess - offsetMs(guess, tz);
  return guess - offsetMs(first, tz);
}

const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

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

/** A schedule's relative window at the moment it runs, as an absolute UTC period. */
export function resolveRelativeWindow(window: RelativeWindow, tz: string, nowMs = Date.now()): { start: string; end: string } {
  if (window === 'previous_month') {
    const today = localDate(nowMs, tz);
    const thisMonth = `${today.slice(0, 8)}01`;
    const d = new Date(`${thisMonth}T00:00:00Z`);
    const prevMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
    return { start: isoSeconds(startOfLocalDay(prevMonth, tz)), end: isoSeconds(startOfLocalDay(thisMonth, tz) - 1000) };
  }
  const days = window === 'last_7_days' ? 7 : 30;
  return { start: isoSeconds(nowMs - days * DAY_MS), end: isoSeconds(nowMs) };
}
