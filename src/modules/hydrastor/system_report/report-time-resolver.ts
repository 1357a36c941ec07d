import { applyTimezone } from '../../shared/values/apply-timezone.js';
import type { ParseIssue } from '../../parse-issue.js';
import type { ParsedTimestamp } from '../../shared/values/parse-timestamp.js';

/** Where a time was read, for the one issue per column that says which zone was assumed. */
export interface TimeLocation {
  readonly file: string;
  readonly line: number | null;
  readonly column: string;
}

export type ReportTimeResolver = (parsed: ParsedTimestamp, location: TimeLocation) => Date;

/**
 * Times without an offset are read in the grid's zone (the report's own, else the one the caller
 * knows), else UTC — and the report's issues say so, once per file and column.
 */
export function createReportTimeResolver(args: { readonly timezone: string | null; readonly issues: ParseIssue[] }): ReportTimeResolver {
  const noted = new Set<string>();
  return (parsed, location) => {
    if (parsed.hasOffset) return parsed.date;
    const noteKey = `${location.file}\u0000${location.column}`;
    if (!noted.has(noteKey)) {
      noted.add(noteKey);
      args.issues.push({
        file: location.file,
        line: location.line,
        message: `${location.column} has no UTC offset; read as ${args.timezone ?? 'UTC'}`,
      });
    }
    return applyTimezone(parsed.date, args.timezone);
  };
}
