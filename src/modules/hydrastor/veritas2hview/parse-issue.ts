/**
 * A problem found in one line or record of an input file. Parsers return issues as data instead
 * of throwing, so one bad line never costs the rest of a multi-gigabyte export.
 *
 * - `error`: the line or record was dropped.
 * - `warning`: the record was kept, with the named field(s) set to null.
 */
export interface ParseIssue {
  readonly file: string;
  /** 1-based physical line number; null when the issue concerns the whole file. */
  readonly line: number | null;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** Issues listed per file; beyond this only their number is reported, so memory stays bounded. */
export const MAX_LISTED_ISSUES = 1000;

/** `file:line: message`, the form used in job logs. */
export function formatParseIssue(issue: ParseIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.severity}: ${issue.message}`;
}
