import type { JobSummaryRow } from '../db/job-list-repository.js';

/** An error message is cut to this many characters in the table; `jobs show` has it whole. */
const MAX_ERROR_CHARS = 60;

/** Jobs as a table for a terminal (`jobs list`), lower-case headers as in the purge report. */
export function formatJobTable(jobs: readonly JobSummaryRow[]): string {
  const header = ['id', 'status', 'customer', 'module', 'group', 'received', 'error'];
  const rows = jobs.map((job) => [
    job.id,
    job.status,
    job.customer,
    `${job.category}/${job.type}`,
    job.group_name,
    job.received_at.toISOString(),
    job.error_code === null ? '' : `${job.error_code}: ${(job.error_message ?? '').replace(/\s+/g, ' ').slice(0, MAX_ERROR_CHARS)}`,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}
