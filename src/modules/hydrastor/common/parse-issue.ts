import type { ParseIssueReport } from '../../parse-issue-log.js';

/**
 * A problem with one part of an input that did not stop the parse. Parsers collect these instead
 * of throwing, so one bad line never costs the rest of a report; the job log shows them.
 */
export interface ParseIssue {
  /** What was being read: a CSV base name (`nodes.csv`), `body` or `subject`. */
  readonly file: string;
  /** 1-based line in that file, or null when the problem concerns the input as a whole. */
  readonly line: number | null;
  readonly reason: string;
  /** The offending text as found, when a value is at fault. */
  readonly raw?: string;
}

/** What the job's parse-issue list gets (`ModuleContext.reportIssue`). */
export function toIssueReport(issue: ParseIssue): ParseIssueReport {
  return { file: issue.file, line: issue.line, what: issue.reason, raw: issue.raw ?? null };
}

export function formatParseIssue(issue: ParseIssue): string {
  return issue.line === null ? `${issue.file}: ${issue.reason}` : `${issue.file}:${issue.line}: ${issue.reason}`;
}
