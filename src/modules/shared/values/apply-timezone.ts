import { IngestError } from '../../../core/ingest-error.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instantMs`, in milliseconds. */
function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallClock = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  const instantWholeSeconds = instantMs - (((instantMs % 1000) + 1000) % 1000);
  return wallClock - instantWholeSeconds;
}

/** Far enough from any instant that a zone's offset a day apart brackets every DST change. */
const MS_PER_DAY = 86_400_000;

/**
 * Turns a naive time (wall clock read as UTC, see parseTimestamp) into the instant it means in
 * `timeZone` (IANA name). No zone means UTC: the naive time is returned unchanged. Like Temporal's
 * "compatible" choice, a wall-clock time repeated by a DST change resolves to its first occurrence
 * and one skipped by it is read with the offset in force before the change.
 */
export function applyTimezone(naive: Date, timeZone: string | null | undefined): Date {
  if (timeZone === null || timeZone === undefined || timeZone === '' || /^(?:utc|gmt|z|etc\/utc)$/i.test(timeZone)) {
    return new Date(naive.getTime());
  }
  if (!isKnownTimeZone(timeZone)) {
    throw new IngestError('UNKNOWN_TIMEZONE', `Unknown time zone "${timeZone}" (expected an IANA name such as Asia/Tokyo)`, {
      details: { timeZone },
    });
  }
  const wallClock = naive.getTime();
  const offsetBefore = zoneOffsetMs(wallClock - MS_PER_DAY, timeZone);
  const offsetAfter = zoneOffsetMs(wallClock + MS_PER_DAY, timeZone);
  const readsBack = (instant: number): boolean => zoneOffsetMs(instant, timeZone) === wallClock - instant;
  const withOffsetBefore = wallClock - offsetBefore;
  const withOffsetAfter = wallClock - offsetAfter;
  const candidates = [withOffsetBefore, withOffsetAfter].filter(readsBack);
  return new Date(candidates.length === 0 ? withOffsetBefore : Math.min(...candidates));
}
