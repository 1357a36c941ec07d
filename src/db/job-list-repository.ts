import { sql, type Kysely } from 'kysely';
import type { Database, JobRow } from './database-schema.js';
import { applyJobFilter, type JobListFilter } from './job-filter.js';
import type { JobListCursor } from './jobs-repository.js';

/** What a list page shows of a job; the wide columns (manifest, source_ref, progress) stay in the database. */
export const JOB_SUMMARY_COLUMNS = [
  'id',
  'status',
  'source',
  'customer',
  'category',
  'type',
  'group_name',
  'received_at',
  'started_at',
  'finished_at',
  'error_code',
  'error_message',
  'stats',
] as const satisfies ReadonlyArray<keyof JobRow>;

export type JobSummaryRow = Pick<JobRow, (typeof JOB_SUMMARY_COLUMNS)[number]>;

/**
 * One page of jobs for the API list: newest first, keyset-paginated on (received_at, id), only
 * the summary columns (reading and parsing every job's manifest was most of a page's cost).
 */
export async function listJobSummaries(
  db: Kysely<Database>,
  args: { readonly filter: JobListFilter; readonly limit: number; readonly after?: JobListCursor },
): Promise<JobSummaryRow[]> {
  let query = applyJobFilter(db.selectFrom('jobs').select(JOB_SUMMARY_COLUMNS), args.filter);
  if (args.after !== undefined) {
    const { receivedAt, id } = args.after;
    query = query.where(sql<boolean>`(received_at, id) < (${receivedAt}, ${id}::uuid)`);
  }
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(args.limit).execute();
}
