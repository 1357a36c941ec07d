import type { PurgeReport } from './purge-task.js';

/** The purge report as a table for a terminal: one line per customer and kind, then the total. */
export function formatPurgeReport(report: PurgeReport): string {
  const rows = report.removed.map((tally) => [tally.customer, tally.kind, String(tally.count), String(tally.bytes)]);
  const header = ['customer', 'kind', report.dryRun ? 'would remove' : 'removed', 'bytes'];
  const all = [header, ...rows, ['total', '', String(report.totals.count), String(report.totals.bytes)]];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column >= 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const title = `purge ${report.dryRun ? 'dry run' : 'run'} ${report.runId}: ${report.outcome}${report.error === undefined ? '' : ` (${report.error})`}`;
  return `${[title, line(header), ...rows.map(line), line(all.at(-1) ?? [])].join('\n')}\n`;
}
