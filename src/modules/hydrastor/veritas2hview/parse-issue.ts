import type { ParseIssueReport } from '../../parse-issue-log.js';

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
  /** The offending text as found, when a value is at fault. */
  readonly raw?: string;
  /** Set on the closing "N more issues not listed" entry of a capped list: N. */
  readonly unlisted?: number;
}

/** Issues listed per file; beyond this only their number is reported, so memory stays bounded. */
export const MAX_LISTED_ISSUES = 1000;

/** What the job's parse-issue list gets (`ModuleContext.reportIssue`). */
export function toIssueReport(issue: ParseIssue): ParseIssueReport {
  return { file: issue.file, line: issue.line, what: issue.message, raw: issue.raw ?? null, ...(issue.unlisted === undefined ? {} : { unlisted: issue.unlisted }) };
}

/** `file:line: message`, the form used in job logs. */
export function formatParseIssue(issue: ParseIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.severity}: ${issue.message}`;
}
