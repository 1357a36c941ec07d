export interface ParsedTimestamp {
  /**
   * With an offset: the instant. Without one: the wall-clock time read as if it were UTC (a
   * "naive" time) — pass it to applyTimezone once the grid's timezone is known.
   */
  readonly date: Date;
  readonly hasOffset: boolean;
}

/**
 * HYDRAstor writes `2023-01-13 12:00:00 +0900` in mail bodies and ISO 8601
 * (`2023-01-13T12:00:00+09:00`) in the report's CSV files; both, and the offset-less form, are read.
 */
const TIMESTAMP = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:T|\s+)(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*(?:(Z|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?))?$/i;

const MAX_OFFSET_MINUTES = 14 * 60;
const MS_PER_MINUTE = 60_000;

export function parseTimestamp(text: string): ParsedTimestamp | null {
  const match = TIMESTAMP.exec(text.trim());
  if (match === null) return null;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  const fields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    // A leap second (:60) is stored as the last representable second of that minute.
    second: Math.min(Number(second ?? '0'), 59),
    millisecond: fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')),
  };
  if (fields.month < 1 || fields.month > 12 || fields.hour > 23 || fields.minute > 59) return null;
  const wallClock = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, fields.millisecond);
  // Date.UTC rolls 31 February over into March: a day that changes on the way back did not exist.
  if (new Date(wallClock).getUTCDate() !== fields.day) return null;

  if (zulu !== undefined) return { date: new Date(wallClock), hasOffset: true };
  if (sign === undefined) return { date: new Date(wallClock), hasOffset: false };
  const offset = Number(offsetHours) * 60 + Number(offsetMinutes ?? '0');
  if (offset > MAX_OFFSET_MINUTES || Number(offsetMinutes ?? '0') > 59) return null;
  const signedOffset = sign === '-' ? -offset : offset;
  return { date: new Date(wallClock - signedOffset * MS_PER_MINUTE), hasOffset: true };
}
