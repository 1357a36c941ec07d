import type { ParseIssue } from '../../parse-issue.js';

/**
 * One "Label : value" record of `nbdevquery … -U` or `bpstulist -U` (formats spec §3.2). Every
 * label maps to all its values in order, because some repeat (`Flag`, and a disk pool's
 * `Storage Server` when several serve it).
 */
export interface LabelRecord {
  /** 1-based line of the record's first label. */
  readonly line: number;
  /** Labels as written (trimmed, inner whitespace collapsed), in order of first appearance. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

export interface LabelRecordsResult {
  readonly records: LabelRecord[];
  readonly issues: ParseIssue[];
}

/** A label as these listings write them: words, digits, brackets, `/`, `%`, `.`, `-`. */
const LABEL_LINE = /^[A-Za-z][\w ()/%.-]*:/;
/** nbdevquery's positional lines start with the output version: `V7.5 `. */
const VERSION_COLUMN = /^V\d+(?:\.\d+)+\s/;

/**
 * Splits the text into records at blank lines and each line at its first colon: `Label : value`
 * (nbdevquery) and `Label:   value` (bpstulist) both work, and a value may hold colons itself.
 * These listings have one record per pool, volume, server or unit, so they are read whole.
 *
 * Output made without `-U` is positional (`V7.5 dp_name 1 81.20 …` for nbdevquery, space-separated
 * fields for bpstulist): when most lines are not "Label : value" lines, the file is not read and
 * one issue says so and how to export it (formats spec §3, "Also seen in real NetBackup output").
 */
export function parseLabelRecords(text: string, options: { readonly file: string; readonly command?: string }): LabelRecordsResult {
  const records: LabelRecord[] = [];
  const issues: ParseIssue[] = [];
  const withoutU = positionalLine(text);
  if (withoutU !== null) {
    const command = options.command ?? 'the command';
    issues.push({
      file: options.file,
      line: withoutU.line,
      severity: 'error',
      raw: withoutU.text,
      message: `${command} output without -U (positional lines, not "Label : value" records): file not read; export with \`${command} -U\``,
    });
    return { records, issues };
  }
  let fields = new Map<string, string[]>();
  let recordLine = 0;
  const finishRecord = (): void => {
    if (fields.size > 0) records.push({ line: recordLine, fields });
    fields = new Map();
  };

  const lines = text.split('\n');
  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    const line = rawLine.trim();
    if (line.length === 0) {
      finishRecord();
      continue;
    }
    const colon = line.indexOf(':');
    const label = colon > 0 ? line.slice(0, colon).trim().replace(/\s+/g, ' ') : '';
    if (label.length === 0) {
      issues.push({
        file: options.file,
        line: lineNumber,
        severity: 'warning',
        message: `not a "Label : value" line, ignored: ${JSON.stringify(line.slice(0, 80))}`,
      });
      continue;
    }
    if (fields.size === 0) recordLine = lineNumber;
    const value = line.slice(colon + 1).trim();
    const values = fields.get(label);
    if (values === undefined) fields.set(label, [value]);
    else values.push(value);
  }
  finishRecord();
  return { records, issues };
}

/**
 * The first line of positional output: a file that opens with nbdevquery's version column
 * (`V7.5 …`, which -U output never has) or has no "Label : value" line at all; null otherwise.
 */
function positionalLine(text: string): { readonly line: number; readonly text: string } | null {
  let first: { line: number; text: string } | null = null;
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line.length === 0) continue;
    if (first === null) {
      first = { line: index + 1, text: line };
      if (VERSION_COLUMN.test(line)) return first;
    }
    if (LABEL_LINE.test(line)) return null;
  }
  return first;
}

/** All values of a label, matched case-insensitively (empty when absent). */
export function labelValues(record: LabelRecord, label: string): readonly string[] {
  const exact = record.fields.get(label);
  if (exact !== undefined) return exact;
  const wanted = label.toLowerCase();
  for (const [name, values] of record.fields) {
    if (name.toLowerCase() === wanted) return values;
  }
  return [];
}

/** The first value of a label; null when absent or empty. */
export function labelValue(record: LabelRecord, label: string): string | null {
  const value = labelValues(record, label)[0];
  return value === undefined || value.length === 0 ? null : value;
}

/** The record as a plain object for raw JSON storage: single values as strings, repeats as arrays. */
export function labelRecordToJson(record: LabelRecord): Record<string, string | string[]> {
  const json: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [label, values] of record.fields) json[label] = values.length === 1 ? (values[0] as string) : [...values];
  return json;
}
