/**
 * A problem a module met in its input and did not fail the job for: a line skipped, a value kept
 * raw or set to null, a file left out. Parsers return these as data instead of throwing, so one
 * bad line never costs the rest of the input; the pipeline stores them with the job (its API
 * detail lists them) and logs the first ones.
 */
export interface ParseIssue {
  /** What was being read: an archive entry or CSV name (`nodes.csv`), `body` or `subject`. */
  readonly file: string;
  /** 1-based line in that file; null when the issue concerns the file as a whole. */
  readonly line: number | null;
  /** What happened to the line or value, in words. */
  readonly message: string;
  /** `error`: the line or record was dropped; `warning`: it was kept, the named field(s) null or raw. */
  readonly severity?: 'error' | 'warning';
  /** The offending text as found, when a value is at fault. */
  readonly raw?: string;
  /**
   * Set only on the entry that closes a parser's own capped list ("N more issues not listed"):
   * the N issues are counted, the entry itself is not listed on the job.
   */
  readonly unlisted?: number;
}

/** `file:line: [severity: ]message`, the form used in job logs. */
export function formatParseIssue(issue: ParseIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}`;
  return issue.severity === undefined ? `${where}: ${issue.message}` : `${where}: ${issue.severity}: ${issue.message}`;
}
