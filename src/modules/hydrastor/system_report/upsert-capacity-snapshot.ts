import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { typedValue } from '../db/sql-value.js';
import type { SystemReport } from './system-report-types.js';

/**
 * One capacity snapshot per grid and report time. The same report again writes nothing; the one
 * exception is a snapshot read from a body that the attachment of the same report (more exact
 * bytes) later replaces. Returns 1 when a row was written.
 */
export async function upsertCapacitySnapshot(
  trx: Transaction<Database>,
  args: {
    readonly gridId: string;
    readonly report: SystemReport;
    readonly jobId: string;
  },
): Promise<number> {
  const { capacity } = args.report;
  if (capacity === null) return 0;
  const result = await sql`
    INSERT INTO hydrastor_capacity_snapshots AS existing
      (grid_id, report_time, measured_at, physical_total_bytes, physical_used_bytes, physical_free_bytes, logical_used_bytes,
       dedupe_ratio, source, extra, last_job_id)
    VALUES (
      ${typedValue(args.gridId, 'bigint')}, ${typedValue(args.report.system.reportTime, 'timestamptz')},
      ${typedValue(capacity.reportTime, 'timestamptz')}, ${typedValue(capacity.physicalTotalBytes, 'bigint')},
      ${typedValue(capacity.physicalUsedBytes, 'bigint')}, ${typedValue(capacity.physicalFreeBytes, 'bigint')},
      ${typedValue(capacity.logicalUsedBytes, 'bigint')}, ${typedValue(capacity.dedupeRatio, 'numeric')},
      ${typedValue(args.report.source, 'text')}, ${typedValue(capacity.extra, 'jsonb')}, ${typedValue(args.jobId, 'uuid')}
    )
    ON CONFLICT (grid_id, report_time) DO UPDATE SET
      measured_at = excluded.measured_at,
      physical_total_bytes = excluded.physical_total_bytes,
      physical_used_bytes = excluded.physical_used_bytes,
      physical_free_bytes = excluded.physical_free_bytes,
      logical_used_bytes = excluded.logical_used_bytes,
      dedupe_ratio = excluded.dedupe_ratio,
      source = excluded.source,
      extra = excluded.extra,
      last_job_id = excluded.last_job_id
    WHERE existing.source = 'body' AND excluded.source = 'attachment'
    RETURNING 1`.execute(trx);
  return result.rows.length;
}
