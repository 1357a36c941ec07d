/**
 * Which of two reads of a grid's "current" state is newer, as SQL over an upsert's `existing` and
 * `excluded` rows: the later report time wins; at the same report time (the same report read
 * twice) values read from the attachment beat values read from the body, which rounds bytes to
 * GiB and lacks columns (formats spec §1: the attachment wins over the body). Equal reads tie,
 * and the same report twice then changes nothing because its values are the same.
 */
function sourceRank(row: 'existing' | 'excluded'): string {
  return `(CASE ${row}.report_source WHEN 'attachment' THEN 1 ELSE 0 END)`;
}

/** The incoming report is at least as new as the one the stored values came from. */
export const REPORT_NO_OLDER = `ROW(excluded.last_report_time, ${sourceRank('excluded')}) >= ROW(existing.last_report_time, ${sourceRank('existing')})`;
