import { InvalidTimePeriodError, ValidationError } from '../errors/api-error';
import { addDays, canonicalTimeZone, DAY_MS, daysBetween, localDate, offsetMs, startOfLocalDay, zonedToUtc } from '@app/time';

export const MAX_PERIOD_DAYS = 90;
/** DateTime in ClickHouse covers 1970..2105; the API accepts a safe subset. */
const MIN_MS = Date.UTC(1970, 0, 2);
const MAX_MS = Date.UTC(2100, 0, 1);

/** A resolved period: [startMs, endMs) in UTC milliseconds, both ends inclusive to the millisecond as requested. */
export interface TimeRange {
  startMs: number;
  /** Exclusive end: the requested (inclusive) end plus one millisecond. */
  endMs: number;
  timeZone: string;
}

export interface TimeRangeInput {
  start_date?: string;
  end_date?: string;
  timezone?: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/**
 * A date-time whose `+hh:mm` offset arrived as ` hh:mm`: an unencoded `+` in a query string is a
 * space (form encoding), and nothing else can follow a date-time's seconds with a space.
 */
const SPACED_OFFSET = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/i;

function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

type Parsed = { kind: 'date'; date: string } | { kind: 'instant'; ms: number };

function parseInstant(parameter: string, raw: string, timeZone: string): Parsed {
  const value = raw.replace(SPACED_OFFSET, '$1+$2');
  const date = DATE.exec(value);
  if (date) {
    if (!validDate(+date[1], +date[2], +date[3])) throw new ValidationError(parameter, 'not a valid calendar date');
    return { kind: 'date', date: value };
  }
  const dt = DATE_TIME.exec(value);
  if (!dt) throw new ValidationError(parameter, 'must be an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ssZ)');
  const [y, mo, d, h, mi] = [+dt[1], +dt[2], +dt[3], +dt[4], +dt[5]];
  const s = dt[6] ? +dt[6] : 0;
  const millis = dt[7] ? Math.floor(Number(`0.${dt[7]}`) * 1000) : 0;
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) throw new ValidationError(parameter, 'not a valid date-time');
  const zone = dt[8];
  if (!zone) return { kind: 'instant', ms: zonedToUtc(y, mo, d, h, mi, s, millis, timeZone) };
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = +digits.slice(1, 3);
    const om = +digits.slice(3, 5);
    if (oh > 23 || om > 59) throw new ValidationError(parameter, 'not a valid UTC offset');
    offset = (digits[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return { kind: 'instant', ms: Date.UTC(y, mo - 1, d, h, mi, s, millis) - offset };
}

/** Validates a time zone parameter; the canonical name is what reaches SQL. */
export function parseTimeZone(value: string | undefined, parameter = 'timezone'): string {
  if (value === undefined) return 'UTC';
  const zone = canonicalTimeZone(value);
  if (!zone) throw new ValidationError(parameter, 'must be an IANA time zone name such as Europe/Berlin');
  return zone;
}

/**
 * Resolves start_date/end_date/timezone to a UTC period. A date-only start is local midnight, a
 * date-only end the end of that local day; date-times without an offset are local to `timezone`.
 * Defaults: end = now, start = end − 30 days.
 */
export function resolveTimeRange(input: TimeRangeInput, nowMs = Date.now()): TimeRange {
  const timeZone = parseTimeZone(input.timezone);
  // Present but empty (`?start_date=`) is an unparseable date, not a request for the default.
  const start = input.start_date !== undefined ? parseInstant('start_date', input.start_date, timeZone) : undefined;
  const end = input.end_date !== undefined ? parseInstant('end_date', input.end_date, timeZone) : undefined;

  const endMs = end ? (end.kind === 'date' ? startOfLocalDay(addDays(end.date, 1), timeZone) : end.ms + 1) : nowMs + 1;
  // Default start = end − 30 days: 30 whole local days before a date-only end, else 30 days before the instant.
  const defaultStart = end?.kind === 'date' ? startOfLocalDay(addDays(end.date, -29), timeZone) : endMs - 1 - 30 * DAY_MS;
  const startMs = start ? (start.kind === 'date' ? startOfLocalDay(start.date, timeZone) : start.ms) : defaultStart;

  checkPeriod(startMs, endMs, timeZone);
  return { startMs, endMs, timeZone };
}

/**
 * The rules every period obeys, however it arrived (parameters, or a pagination cursor carrying
 * the first page's period): within the supported years, start before end, at most 90 days.
 */
export function checkPeriod(startMs: number, endMs: number, timeZone: string): void {
  for (const [parameter, ms] of [['start_date', startMs], ['end_date', endMs]] as const) {
    if (ms < MIN_MS || ms > MAX_MS) throw new ValidationError(parameter, 'must lie between 1970-01-02 and 2099-12-31');
  }
  if (startMs >= endMs) {
    throw new InvalidTimePeriodError('start_date must not be after end_date', {
      start: formatInstant(startMs),
      end: formatInstant(endMs - 1),
    });
  }
  // The length is last instant − first instant: date-times 90 days apart are 90 days, and a
  // date-only end (…23:59:59.999) makes 90 whole days 1 ms short of 90 × 24 hours.
  // 90 local days across a change back from summer time last 90 days and the hour the clocks
  // repeat (an hour longer in UTC); that still counts as 90. Only then: in UTC, or where the
  // offset does not fall inside the period, 90 days is 90 × 24 hours.
  const dstLengthening = Math.max(0, offsetMs(startMs, timeZone) - offsetMs(endMs - 1, timeZone));
  const duration = endMs - 1 - startMs - dstLengthening;
  if (duration > MAX_PERIOD_DAYS * DAY_MS) {
    throw new InvalidTimePeriodError('Time period exceeds maximum allowed range', {
      max_days: MAX_PERIOD_DAYS,
      requested_days: Math.ceil(duration / DAY_MS),
    });
  }
}

/** `2024-03-20T23:59:59Z`: the API's instant format (seconds precision, UTC). */
export function formatInstant(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The `time_period` object of every analytics response. */
export function timePeriod(range: TimeRange): { start: string; end: string } {
  return { start: formatInstant(range.startMs), end: formatInstant(range.endMs - 1) };
}

/** Calendar days (in the range's zone) the period touches, first and last included. */
export function calendarDays(range: TimeRange): number {
  return daysBetween(localDate(range.startMs, range.timeZone), localDate(range.endMs - 1, range.timeZone)) + 1;
}
