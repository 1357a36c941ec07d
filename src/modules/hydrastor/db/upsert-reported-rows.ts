import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { REPORT_NO_OLDER } from './report-order.js';
import { columnList, valueRows, type ColumnSpec, type SqlValue } from './sql-value.js';

/** Keeps each statement far below PostgreSQL's 65,535 parameters (about 20 per row here). */
export const MAX_ROWS_PER_STATEMENT = 1000;

export interface ReportedRowsArgs {
  /** Constant table name. */
  readonly table: string;
  /** The unique index the rows are matched on, written exactly as in the migration (constant SQL). */
  readonly conflictTarget: string;
  readonly keyColumns: readonly ColumnSpec[];
  readonly valueColumns: readonly ColumnSpec[];
  /** Rows keyed by column name; `extra` is a column of every such table. */
  readonly rows: readonly Readonly<Record<string, SqlValue>>[];
  /** The row's identity as the unique index sees it, to drop repeats before they reach one statement. */
  readonly rowKey: (row: Readonly<Record<string, SqlValue>>) => string;
  readonly gridId: string;
  readonly reportTime: Date;
  /** The part of the report the rows were read from. */
  readonly reportSource: 'attachment' | 'body';
  readonly jobId: string;
}

/** First occurrence wins, like the parsers' own de-duplication (they already report repeats). */
function uniqueRows(args: Pick<ReportedRowsArgs, 'rows' | 'rowKey'>): Readonly<Record<string, SqlValue>>[] {
  const seen = new Set<string>();
  return args.rows.filter((row) => {
    const key = args.rowKey(row);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Upserts the rows one system report lists for a grid (nodes, file systems, replication pairs,
 * active alerts). A row remembers the first and last report that listed it. The newest report's
 * values win (report-order.ts: by report time, then attachment over body), but a value a report
 * lacks is kept (a body-only report has no IP addresses); an older report arriving late only
 * fills values still missing and widens first_report_time, and so does the body of a report
 * whose attachment was read already. The same report twice writes nothing: a row is touched only
 * when its next state differs.
 * Returns how many rows were inserted or changed.
 */
export async function upsertReportedRows(trx: Transaction<Database>, args: ReportedRowsArgs): Promise<number> {
  const rows = uniqueRows(args);
  if (rows.length === 0) return 0;
  const fixed = {
    grid_id: args.gridId,
    first_report_time: args.reportTime,
    last_report_time: args.reportTime,
    report_source: args.reportSource,
    last_job_id: args.jobId,
  };
  const columns: ColumnSpec[] = [
    { name: 'grid_id', type: 'bigint' },
    ...args.keyColumns,
    ...args.valueColumns,
    { name: 'extra', type: 'jsonb' },
    { name: 'first_report_time', type: 'timestamptz' },
    { name: 'last_report_time', type: 'timestamptz' },
    { name: 'report_source', type: 'text' },
    { name: 'last_job_id', type: 'uuid' },
  ];
  const isNewest = REPORT_NO_OLDER;
  const next = (name: string): string =>
    `CASE WHEN ${isNewest} THEN coalesce(excluded.${name}, existing.${name}) ELSE coalesce(existing.${name}, excluded.${name}) END`;
  const nextColumns = [
    ...args.valueColumns.map(({ name }) => ({ name, value: next(name) })),
    { name: 'extra', value: `CASE WHEN ${isNewest} THEN existing.extra || excluded.extra ELSE excluded.extra || existing.extra END` },
    { name: 'first_report_time', value: 'least(existing.first_report_time, excluded.first_report_time)' },
    { name: 'last_report_time', value: 'greatest(existing.last_report_time, excluded.last_report_time)' },
    { name: 'report_source', value: `CASE WHEN ${isNewest} THEN excluded.report_source ELSE existing.report_source END` },
  ];
  const assignments = [...nextColumns.map(({ name, value }) => `${name} = ${value}`), 'last_job_id = excluded.last_job_id', 'updated_at = now()'].join(', ');
  const changed = `ROW(${nextColumns.map(({ value }) => value).join(', ')}) IS DISTINCT FROM ROW(${nextColumns.map(({ name }) => `existing.${name}`).join(', ')})`;

  let written = 0;
  for (let start = 0; start < rows.length; start += MAX_ROWS_PER_STATEMENT) {
    const batch = rows.slice(start, start + MAX_ROWS_PER_STATEMENT).map((row) => ({ ...row, ...fixed }));
    const result = await sql<{ written: number }>`
      INSERT INTO ${sql.raw(args.table)} AS existing ${columnList(columns.map((column) => column.name))}
      VALUES ${valueRows({ columns, rows: batch })}
      ON CONFLICT (${sql.raw(args.conflictTarget)}) DO UPDATE SET ${sql.raw(assignments)}
      WHERE ${sql.raw(changed)}
      RETURNING 1 AS written`.execute(trx);
    written += result.rows.length;
  }
  return written;
}
