import type { ParseIssue } from '../../parse-issue.js';
import type { FieldSource } from '../../shared/text/field-source.js';
import { parseAlertSeverity, type AlertSeverity } from './alert-severity.js';
import { parseByteSize } from '../../shared/values/parse-byte-size.js';
import { parseDedupeRatio } from './parse-dedupe-ratio.js';
import { parseTimestamp, type ParsedTimestamp } from '../../shared/values/parse-timestamp.js';

/**
 * Typed reads of one record. A value that is present but unreadable becomes null and an issue
 * naming file, line, column and value; an empty value is simply null.
 */
export interface FieldReader {
  readonly source: FieldSource;
  text(column: string): string | null;
  integer(column: string): number | null;
  bytes(column: string): bigint | null;
  ratio(column: string): number | null;
  timestamp(column: string): ParsedTimestamp | null;
  severity(column: string): AlertSeverity | null;
  /** Records a problem with this record (or with one column of it). */
  issue(reason: string, column?: string): void;
  /**
   * The columns not in `known`, with their values: kept, never dropped. Values of known columns
   * that could not be read (and so are null) are kept here too, as written, under their column.
   */
  extra(known: ReadonlySet<string>): Record<string, string>;
}

/** Keeps an issue line readable when a value is huge or binary. */
const MAX_QUOTED_VALUE_CHARS = 80;
const INTEGER = /^[+-]?\d{1,15}$/;

function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED_VALUE_CHARS ? `${value.slice(0, MAX_QUOTED_VALUE_CHARS)}…` : value);
}

export function createFieldReader(source: FieldSource, issues: ParseIssue[]): FieldReader {
  /** Known columns whose value was unreadable: kept raw in `extra`. */
  const unreadable = new Map<string, string>();
  const issue = (reason: string, column?: string, raw?: string): void => {
    const line = column === undefined ? source.line : (source.lineOfColumn?.get(column) ?? source.line);
    issues.push({ file: source.file, line, message: reason, ...(raw === undefined ? {} : { raw }) });
  };
  const text = (column: string): string | null => {
    const value = source.values.get(column)?.trim();
    return value === undefined || value === '' ? null : value;
  };
  const read = <T>(column: string, kind: string, parse: (value: string) => T | null): T | null => {
    const value = text(column);
    if (value === null) return null;
    const parsed = parse(value);
    if (parsed === null) {
      unreadable.set(column, value);
      issue(`${column}: ${quote(value)} is not ${kind}; stored as null, kept raw in extra`, column, value);
    }
    return parsed;
  };
  return {
    source,
    text,
    integer: (column) => read(column, 'an integer', (value) => (INTEGER.test(value) ? Number(value) : null)),
    bytes: (column) => read(column, 'a size in bytes', (value) => parseByteSize(value)),
    ratio: (column) => read(column, 'a ratio (N or N : 1)', parseDedupeRatio),
    timestamp: (column) => read(column, 'a time (YYYY-MM-DD HH:MM:SS [+-]HHMM)', parseTimestamp),
    severity: (column) => read(column, 'a severity (INFO, WARNING, ERROR, CRITICAL)', parseAlertSeverity),
    issue: (reason, column) => issue(reason, column),
    extra: (known) => {
      const extra = new Map<string, string>();
      for (const [column, value] of source.values) if (!known.has(column) || unreadable.has(column)) extra.set(column, unreadable.get(column) ?? value);
      return Object.fromEntries(extra);
    },
  };
}
