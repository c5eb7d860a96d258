/** One calendar day in milliseconds (UTC days: no zone involved). */
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The canonical IANA name of a time zone, or undefined. Only Area/Location style names and UTC
 * are accepted, so the name is safe to pass to ClickHouse and known to both sides' tz data.
 * The `SystemV/…` names are not: ICU knows them, but tzdata dropped them (2020b) and ClickHouse,
 * which reads the system's zoneinfo, fails on them (found in review: trends answered 500).
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (name === 'UTC' || name === 'Etc/UTC') return 'UTC';
  if (!/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2}$/.test(name) || name.length > 64 || /^SystemV\//i.test(name)) return undefined;
  try {
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2}$|^UTC$/.test(canonical) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock fields of an instant in a zone. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

/** Offset of the zone from UTC at an instant, in ms (east positive). */
export function offsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0; // the common case, and Intl formatting is the costly part of a request
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a wall-clock time has in a zone. In a DST gap the time is moved forward by the
 * gap (02:30 on a spring-forward day is 03:30); in an overlap the earlier instant is taken.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const before = wall - offsetMs(wall - DAY_MS, timeZone);
  const after = wall - offsetMs(wall + DAY_MS, timeZone);
  const valid = [before, after].filter((c) => c + offsetMs(c, timeZone) === wall);
  return valid.length ? Math.min(...valid) : before;
}

/** Local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, timeZone: string): string {
  if (timeZone === 'UTC') return new Date(ms).toISOString().slice(0, 10);
  const p = localParts(ms, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Adds days to a YYYY-MM-DD date (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const t = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * DAY_MS;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whole days from a to b (YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** Midnight at the start of a local date, as an instant. */
export function startOfLocalDay(date: string, timeZone: string): number {
  return zonedToUtc(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)), 0, 0, 0, 0, timeZone);
}
