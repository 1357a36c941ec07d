/**
 * Values in PostgreSQL's COPY text format (tab-separated, `\N` for null, backslash escapes).
 * Text format rather than CSV: no quoting, and escaping is needed only for the rare value that
 * holds a backslash, tab or line break, which one regex test finds.
 */

import { storableText } from '../../storable-text.js';
import { INFINITE_DATE_MS } from './number-kinds.js';

export const COPY_NULL = '\\N';
export const COPY_FIELD_SEPARATOR = '\t';
export const COPY_ROW_END = '\n';

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
/** Years 1–9999: sane for a backup catalogue, and well inside PostgreSQL's timestamp range. */
const MIN_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_TIMESTAMP_MS = Date.parse('9999-12-31T23:59:59Z');

const NEEDS_ESCAPE = /[\\\n\r\t\0]/;
const ESCAPABLE = /[\\\n\r\t\0]/g;
/** NUL is dropped: PostgreSQL text refuses it (22021) and one stray byte must not fail a job. */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '' };

export function copyText(value: string | null): string {
  if (value === null) return COPY_NULL;
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(ESCAPABLE, (character) => ESCAPES[character] ?? '');
}

/** An `integer` column: anything that is not a whole number in range is null (never a failed COPY). */
export function copyInteger(value: number | null): string {
  return value !== null && Number.isInteger(value) && value >= INT4_MIN && value <= INT4_MAX ? String(value) : COPY_NULL;
}

/** A `bigint` column, exact up to 2^53 (what a JavaScript number carries exactly). */
export function copyBigint(value: number | bigint | null): string {
  if (typeof value === 'bigint') return value.toString();
  return value !== null && Number.isSafeInteger(value) ? String(value) : COPY_NULL;
}

/** A `numeric` column: any finite number. */
export function copyNumeric(value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : COPY_NULL;
}

export function copyBoolean(value: boolean | null): string {
  return value === null ? COPY_NULL : value ? 't' : 'f';
}

/**
 * A time as epoch seconds (the largest Date, `INFINITE_DATE_MS`, as `Infinity`), for a staging column the merge turns into timestamptz with
 * `to_timestamp`: a fifteenth of the cost of toISOString, which matters twice per job.
 */
export function copyEpochSeconds(value: Date | null): string {
  if (value === null) return COPY_NULL;
  const time = value.getTime();
  // to_timestamp('Infinity') is timestamptz 'infinity' (NetBackup's "never expires").
  if (time === INFINITE_DATE_MS) return 'Infinity';
  return time >= MIN_TIMESTAMP_MS && time <= MAX_TIMESTAMP_MS ? String(time / 1000) : COPY_NULL;
}

/** KiB (as NetBackup counts) to exact bytes; null when not a whole, non-negative, safe number. */
export function kilobytesToBytes(kilobytes: number | null, remainderBytes = 0): bigint | null {
  if (kilobytes === null || !Number.isSafeInteger(kilobytes) || kilobytes < 0) return null;
  const remainder = Number.isSafeInteger(remainderBytes) && remainderBytes > 0 ? BigInt(remainderBytes) : 0n;
  return BigInt(kilobytes) * 1024n + remainder;
}

/** A `text[]` column: an array literal with every element quoted. */
export function copyTextArray(values: readonly string[]): string {
  const elements = values.map((value) => `"${withoutNul(value).replace(/["\\]/g, '\\$&')}"`);
  return copyText(`{${elements.join(',')}}`);
}

/** A `jsonb` column. NUL is removed before serialising: JSON's `\u0000` is refused by jsonb. */
export function copyJson(value: unknown): string {
  return value === null || value === undefined ? COPY_NULL : copyText(jsonWithoutNul(value));
}

/** JSON text that jsonb accepts (no `\u0000`), for COPY or a query parameter. */
export function jsonWithoutNul(value: unknown): string {
  return JSON.stringify(withoutNulDeep(value));
}

export function withoutNul(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '') : text;
}

function withoutNulDeep(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(withoutNulDeep);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const cleaned: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) cleaned[storableText(key)] = withoutNulDeep(inner);
    return cleaned;
  }
  return value;
}
