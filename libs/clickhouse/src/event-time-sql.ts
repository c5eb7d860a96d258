import { sqlNumber } from './sql-literal';

/** An event's instant in epoch milliseconds, from the raw events' `time` (seconds) and `time_ms`. */
export const EVENT_MS = '(toUInt64(time) * 1000 + time_ms)';

/**
 * Raw events in [startMs, endMs), exact to the millisecond. The coarse `time` bounds come first
 * so the primary key prunes. The analytics API and the export worker both filter with it, so an
 * export and the answers it mirrors cover the same events.
 */
export function eventTimeWhere(r: { startMs: number; endMs: number }): string {
  return (
    `(time >= toDateTime(${sqlNumber(Math.floor(r.startMs / 1000))}) AND time <= toDateTime(${sqlNumber(Math.floor((r.endMs - 1) / 1000))})` +
    ` AND ${EVENT_MS} >= ${sqlNumber(r.startMs)} AND ${EVENT_MS} < ${sqlNumber(r.endMs)})`
  );
}
