import type { ParseIssue } from '../../parse-issue.js';
import { labelValue, type LabelRecord } from './parse-label-records.js';
import { gibibytesToBytes } from './storage-values.js';

/** A whole number, optionally followed by a unit (`524287 MB`); a fraction (`58.799999`) is not one. */
const WHOLE_NUMBER = /^(-?\d{1,15})(?:\s*[A-Za-z%]+)?$/;

/**
 * Typed reads of a listing record's numbers. A value that does not fit (a fraction where an
 * integer belongs, text) becomes null and an issue with the raw text; the record itself is stored
 * whole in the row's `attributes`, so the value is kept as written (formats spec §3, "Also seen in
 * real NetBackup output"). An absent or empty value is simply null.
 */
export interface ListingValueReader {
  integer(label: string): number | null;
  gibibytes(label: string): bigint | null;
}

export function createListingValueReader(record: LabelRecord, file: string, issues: ParseIssue[]): ListingValueReader {
  const read = <T>(label: string, expected: string, parse: (value: string) => T | null): T | null => {
    const value = labelValue(record, label);
    if (value === null) return null;
    const parsed = parse(value);
    if (parsed === null) {
      issues.push({
        file,
        line: record.line,
        severity: 'warning',
        raw: value,
        message: `${label}: ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} is not ${expected}; stored as null, kept raw in attributes`,
      });
    }
    return parsed;
  };
  return {
    integer: (label) =>
      read(label, 'an integer', (value) => {
        const match = WHOLE_NUMBER.exec(value.trim());
        return match === null ? null : Number(match[1]);
      }),
    gibibytes: (label) => read(label, 'a size in GB', gibibytesToBytes),
  };
}
