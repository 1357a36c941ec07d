import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { IngestError } from '../../../core/ingest-error.js';
import { REPORT_NO_OLDER } from '../db/report-order.js';
import { typedValue } from '../db/sql-value.js';
import type { ReportSystem } from './system-report-types.js';

export interface GridWrite {
  readonly gridId: string;
  /** The row was inserted or changed. */
  readonly written: boolean;
}

/** A grid created by an alert has no report time yet: any report is newer (else see report-order.ts). */
const IS_NEWEST = `(existing.last_report_time IS NULL OR ${REPORT_NO_OLDER})`;
const ATTRIBUTES = ['model', 'software_version', 'overall_status', 'resiliency_level', 'timezone'] as const;

/** The row's next state, column by column: the newest report wins, an older one (or the body of one read already) only fills gaps. */
const NEXT_STATE: ReadonlyArray<{ readonly name: string; readonly value: string }> = [
  { name: 'name', value: `CASE WHEN ${IS_NEWEST} THEN excluded.name ELSE existing.name END` },
  ...ATTRIBUTES.map((name) => ({
    name,
    value: `CASE WHEN ${IS_NEWEST} THEN coalesce(excluded.${name}, existing.${name}) ELSE coalesce(existing.${name}, excluded.${name}) END`,
  })),
  { name: 'extra', value: `CASE WHEN ${IS_NEWEST} THEN existing.extra || excluded.extra ELSE excluded.extra || existing.extra END` },
  { name: 'last_report_time', value: 'greatest(existing.last_report_time, excluded.last_report_time)' },
  { name: 'report_source', value: `CASE WHEN ${IS_NEWEST} THEN excluded.report_source ELSE existing.report_source END` },
];
const ASSIGNMENTS = NEXT_STATE.map(({ name, value }) => `${name} = ${value}`).join(', ');
const CHANGED = `ROW(${NEXT_STATE.map(({ value }) => value).join(', ')}) IS DISTINCT FROM ROW(${NEXT_STATE.map(({ name }) => `existing.${name}`).join(', ')})`;
/** A rename keeps the names the grid had before, without repeats and without the current one. */
const PREVIOUS_NAMES = `CASE WHEN ${IS_NEWEST} AND excluded.name <> existing.name
  THEN array_remove(array_append(array_remove(existing.previous_names, existing.name), existing.name), excluded.name)
  ELSE existing.previous_names END`;

/**
 * Inserts or refreshes a grid from its system report, keyed by (customer, serial number): grids
 * get renamed, their serial stays. The conflicting row is locked either way, so the jobs of one
 * grid write its rows one after the other.
 */
export async function upsertGridFromReport(
  trx: Transaction<Database>,
  args: {
    readonly customer: string;
    readonly system: ReportSystem;
    /** The part of the report the values were read from. */
    readonly source: 'attachment' | 'body';
    readonly jobId: string;
  },
): Promise<GridWrite> {
  const { system } = args;
  const written = await sql<{ id: string }>`
    INSERT INTO hydrastor_grids AS existing
      (customer, serial_number, name, model, software_version, overall_status, resiliency_level, timezone, extra, last_report_time, report_source, last_job_id)
    VALUES (
      ${typedValue(args.customer, 'text')}, ${typedValue(system.serialNumber, 'text')}, ${typedValue(system.name, 'text')},
      ${typedValue(system.model, 'text')}, ${typedValue(system.softwareVersion, 'text')}, ${typedValue(system.overallStatus, 'text')},
      ${typedValue(system.resiliencyLevel, 'integer')}, ${typedValue(system.timezone, 'text')}, ${typedValue(system.extra, 'jsonb')},
      ${typedValue(system.reportTime, 'timestamptz')}, ${typedValue(args.source, 'text')}, ${typedValue(args.jobId, 'uuid')}
    )
    ON CONFLICT (customer, serial_number) DO UPDATE SET
      previous_names = ${sql.raw(PREVIOUS_NAMES)}, ${sql.raw(ASSIGNMENTS)}, last_job_id = excluded.last_job_id, updated_at = now()
    WHERE ${sql.raw(CHANGED)}
    RETURNING id`.execute(trx);
  const changed = written.rows[0];
  if (changed !== undefined) return { gridId: changed.id, written: true };
  const existing = await sql<{ id: string }>`
    SELECT id FROM hydrastor_grids
    WHERE customer = ${typedValue(args.customer, 'text')} AND serial_number = ${typedValue(system.serialNumber, 'text')}`.execute(trx);
  const row = existing.rows[0];
  if (row === undefined) throw new IngestError('HYDRASTOR_GRID_MISSING', `grid ${system.serialNumber} vanished during its own upsert`);
  return { gridId: row.id, written: false };
}
