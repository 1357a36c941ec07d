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
}

export function formatParseIssue(issue: ParseIssue): string {
  return issue.line === null ? `${issue.file}: ${issue.reason}` : `${issue.file}:${issue.line}: ${issue.reason}`;
}
