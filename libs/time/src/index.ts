export {
  DAY_MS,
  canonicalTimeZone,
  localParts,
  offsetMs,
  zonedToUtc,
  localDate,
  addDays,
  daysBetween,
  startOfLocalDay,
  type LocalParts,
} from './time-zone';
