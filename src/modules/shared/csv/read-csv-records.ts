import { parse } from 'csv-parse/sync';
import type { FieldSource } from '../text/field-source.js';
import type { ParseIssue } from '../../parse-issue.js';

/** `Node Name`, `node-name` and `node_name` are one column. */
export function normalizeColumnName(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

interface CsvRecordWithInfo {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

/**
 * Reads an RFC 4180 CSV file with a header row into records keyed by normalised column name, so
 * columns may come in any order and unknown ones are kept. A record the CSV reader cannot read
 * (an unterminated quote) is reported with its line. Small files only (read in one go).
 */
export function readCsvRecords(args: { readonly file: string; readonly text: string; readonly issues: ParseIssue[] }): FieldSource[] {
  const { file, issues } = args;
  const parsed = parse(args.text, {
    bom: true,
    info: true,
    relax_column_count: true,
    // A stray quote inside a value (`ab"c`, `"a"b`) is kept as written instead of swallowing every
    // following record into one unterminated field; valid RFC 4180 input reads the same either way.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      const line = error?.['lines'];
      const message = `unreadable CSV record: ${error?.message ?? 'unknown error'}`;
      issues.push({ file, line: typeof line === 'number' ? line : null, message });
      return undefined;
    },
  }) as unknown as CsvRecordWithInfo[];

  const [header, ...rows] = parsed;
  if (header === undefined) {
    issues.push({ file, line: null, message: 'empty file (no header row)' });
    return [];
  }
  const columns = header.record.map(normalizeColumnName);
  const seen = new Set<string>();
  columns.forEach((column, index) => {
    if (column !== '' && seen.has(column)) {
      issues.push({ file, line: header.info.lines, message: `column "${column}" appears twice; the first one is used` });
      columns[index] = '';
    }
    seen.add(column);
  });

  return rows
    .filter((row) => !row.record.every((value) => value.trim() === ''))
    .map((row): FieldSource => {
      if (row.record.length > columns.length) {
        issues.push({
          file,
          line: row.info.lines,
          message: `${row.record.length} values for ${columns.length} columns; the values without a heading are ignored`,
        });
      }
      const values = new Map<string, string>();
      columns.forEach((column, index) => {
        const value = row.record[index];
        if (column !== '' && value !== undefined) values.set(column, value);
      });
      return { file, line: row.info.lines, values };
    });
}
