import { sql, type Kysely } from 'kysely';
import type { Database, JobEventRow } from './database-schema.js';
import { JOB_SUMMARY_COLUMNS, type JobSummaryRow } from './job-list-repository.js';

/** An entry of a job's timeline, with the job it belongs to (as a list shows it). */
export interface JobEventFeedEntry {
  readonly event: Pick<JobEventRow, 'id' | 'at' | 'kind' | 'status' | 'message'>;
  readonly job: JobSummaryRow;
}

/** The newest timeline entry's id ('0' when there is none): a follower starts after it. */
export async function latestJobEventId(db: Kysely<Database>): Promise<string> {
  const row = await db
    .selectFrom('job_events')
    .select(sql<string>`coalesce(max(id), 0)::text`.as('id'))
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * The timeline entries after `afterId`, and those among `alsoIds` (ids passed over earlier because
 * their transaction had not committed yet), oldest first. Every change of a job's status writes an
 * entry with the new status (staging done, claim, finish, retry, cancel, release, lease expiry,
 * timeout), so this is the feed of new jobs and status changes; the primary key serves it. All
 * entries are returned, not only those with a status, so that a gap in the ids means "not
 * committed yet" (or rolled back), never "filtered out".
 */
export async function listJobEventFeed(
  db: Kysely<Database>,
  args: { readonly afterId: string; readonly alsoIds: readonly string[]; readonly limit: number },
): Promise<JobEventFeedEntry[]> {
  const rows = await db
    .selectFrom('job_events')
    .innerJoin('jobs', 'jobs.id', 'job_events.job_id')
    .select(JOB_SUMMARY_COLUMNS.map((column) => `jobs.${column}` as const))
    .select([
      'job_events.id as event_id',
      'job_events.at as event_at',
      'job_events.kind as event_kind',
      'job_events.status as event_status',
      'job_events.message as event_message',
    ])
    .where((where) =>
      args.alsoIds.length === 0
        ? where('job_events.id', '>', args.afterId)
        : where.or([where('job_events.id', '>', args.afterId), where('job_events.id', 'in', args.alsoIds)]),
    )
    .orderBy('job_events.id')
    .limit(args.limit)
    .execute();
  return rows.map(({ event_id, event_at, event_kind, event_status, event_message, ...job }) => ({
    event: { id: event_id, at: event_at, kind: event_kind, status: event_status, message: event_message },
    job,
  }));
}
