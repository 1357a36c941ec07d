import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { jsonWithoutNul, withoutNul } from './copy-text.js';
import type { ExportObservation } from './export-observation.js';
import type { ExportPlan } from './load-plan.js';
import type { ParseIssue } from '../../parse-issue.js';

/** Issues kept on the export row; the job log has the same first ones, the count has them all. */
export const MAX_STORED_ISSUES = 100;

const VALUES = [
  'master_server_id',
  'generated_at',
  'window_from',
  'window_to',
  'netbackup_version',
  'timezone',
  'observed_at',
  'observed_from',
  'files',
  'jobs_read',
  'images_read',
  'issue_count',
  'issues',
] as const;

/**
 * One row per export content (the same export as .zip and .tar.gz is one row): its manifest
 * facts, files with their digests, what was read and the issues found. Written only when it
 * differs, like every other row. Returns 1 when written.
 */
export async function upsertExportRecord(
  trx: Transaction<Database>,
  args: {
    readonly customer: string;
    readonly masterServerId: string;
    readonly plan: ExportPlan;
    readonly observation: ExportObservation;
    readonly jobsRead: number;
    readonly imagesRead: number;
    readonly issues: readonly ParseIssue[];
    readonly issueCount: number;
    readonly jobId: string;
  },
): Promise<number> {
  const { manifest } = args.plan;
  const files = [...args.plan.files].sort((a, b) => a.name.localeCompare(b.name));
  const changed = `ROW(${VALUES.map((name) => `existing.${name}`).join(', ')}) IS DISTINCT FROM ROW(${VALUES.map((name) => `excluded.${name}`).join(', ')})`;
  const result = await sql<{ written: number }>`
    WITH written AS (
      INSERT INTO veritas_exports AS existing
        (customer, content_sha256, ${sql.raw(VALUES.join(', '))}, last_job_id)
      VALUES (
        ${args.customer}, ${args.plan.contentSha256}, ${args.masterServerId}::bigint,
        ${manifest?.generatedAt.toISOString() ?? null}::timestamptz, ${manifest?.window.from.toISOString() ?? null}::timestamptz,
        ${manifest?.window.to.toISOString() ?? null}::timestamptz, ${manifest === null ? null : withoutNul(manifest.netbackupVersion)}, ${manifest?.timezone ?? null},
        ${args.observation.at?.toISOString() ?? null}::timestamptz, ${args.observation.source},
        ${jsonWithoutNul(files)}::jsonb, ${args.jobsRead}::bigint, ${args.imagesRead}::bigint, ${args.issueCount}::integer,
        ${jsonWithoutNul(args.issues.slice(0, MAX_STORED_ISSUES))}::jsonb, ${args.jobId}::uuid
      )
      ON CONFLICT (customer, content_sha256) DO UPDATE SET
        ${sql.raw(VALUES.map((name) => `${name} = excluded.${name}`).join(', '))}, last_job_id = excluded.last_job_id, updated_at = now()
      WHERE ${sql.raw(changed)}
      RETURNING 1
    )
    SELECT count(*)::integer AS written FROM written`.execute(trx);
  return result.rows[0]?.written ?? 0;
}
