import { zonedToUtc } from './time-zone';

/** docs/metrics.md, "Time handling": a local date-time without an offset, around DST changes. */
describe('zonedToUtc', () => {
  const at = (y: number, m: number, d: number, h: number, mi: number, tz: string) => new Date(zonedToUtc(y, m, d, h, mi, 0, 0, tz)).toISOString();

  it('moves a wall-clock time inside a spring-forward gap forward by the gap', () => {
    expect(at(2024, 3, 31, 2, 30, 'Europe/Berlin')).toBe('2024-03-31T01:30:00.000Z'); // 03:30 CEST
    expect(at(2024, 3, 10, 2, 30, 'America/New_York')).toBe('2024-03-10T07:30:00.000Z'); // 03:30 EDT
  });

  it('takes the earlier instant of a wall-clock time that a fall-back repeats', () => {
    expect(at(2024, 10, 27, 2, 30, 'Europe/Berlin')).toBe('2024-10-27T00:30:00.000Z'); // 02:30 CEST, not CET
    expect(at(2024, 11, 3, 1, 30, 'America/New_York')).toBe('2024-11-03T05:30:00.000Z'); // 01:30 EDT, not EST
  });

  it('is plain arithmetic away from a change, including half-hour zones and UTC', () => {
    expect(at(2024, 3, 1, 0, 0, 'Asia/Kolkata')).toBe('2024-02-29T18:30:00.000Z');
    expect(at(2024, 7, 1, 12, 0, 'Europe/Berlin')).toBe('2024-07-01T10:00:00.000Z');
    expect(at(2024, 2, 29, 23, 59, 'UTC')).toBe('2024-02-29T23:59:00.000Z');
  });
});
