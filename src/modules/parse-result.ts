import type { ParseIssue } from './parse-issue.js';
import { ParseIssueLog } from './parse-issue-log.js';
import type { ParseResult } from './types.js';

/** What a module's `parse` returns: `records`, and the issues met so far (more may be added in `upsert`). */
export function parseResult<Records>(records: Records, issues: Iterable<ParseIssue> = []): ParseResult<Records> {
  return { records, issues: new ParseIssueLog(issues) };
}
