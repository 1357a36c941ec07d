import { MERGE_SOURCE_ARRIVAL } from './sources-repository.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, JobEventRow, JobRow, JobStatus, NewJobRow } from './database-schema.js';
import { applyJobFilter, type JobListFilter } from './job-filter.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewJobEvent {
  readonly jobId: string;
  readonly kind: string;
  readonly status?: JobStatus | null;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export async function addJobEvent(db: Db, event: NewJobEvent): Promise<void> {
  await db
    .insertInto('job_events')
    .values({
      job_id: event.jobId,
      kind: event.kind,
      status: event.status ?? null,
      message: event.message,
      data: JSON.stringify(event.data ?? {}),
    })
    .execute();
}

/** What inserting one staging row gave: the new job, the earlier job with the same idempotency key, or a folder name already taken. */
export type StagingInsert = { readonly job: JobRow; readonly duplicate: boolean } | 'path-taken';

/**
 * Inserts jobs in `staging` state, several in one statement (one commit). A row whose
 * idempotency key exists already gives the existing job (a duplicate arrival, possibly of an
 * earlier row in the same batch); a row whose `relative_path` is taken gives 'path-taken', so the
 * caller tries the next `_<n>` suffix. ON CONFLICT DO NOTHING instead of catching unique
 * violations: a clash costs no aborted transaction, no exception, and no second round trip.
 */
export async function insertStagingJobs(db: Db, rows: readonly NewJobRow[]): Promise<StagingInsert[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insertInto('jobs')
    .values(rows.map((row) => ({ ...row, status: 'staging' as const })))
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .execute();
  const byStagingId = new Map(inserted.map((job) => [job.staging_id, job]));
  const skippedKeys = rows.filter((row) => !byStagingId.has(row.staging_id)).map((row) => row.idempotency_key);
  const existing =
    skippedKeys.length === 0
      ? []
      : await db
          .selectFrom('jobs')
          .selectAll()
          .where('idempotency_key', 'in', [...new Set(skippedKeys)])
          .execute();
  const byKey = new Map(existing.map((job) => [job.idempotency_key, job]));
  return rows.map((row) => {
    const job = byStagingId.get(row.staging_id);
    if (job !== undefined) return { job, duplicate: false };
    const earlier = byKey.get(row.idempotency_key);
    return earlier === undefined ? 'path-taken' : { job: earlier, duplicate: true };
  });
}

/**
 * Ends staging: the originals are in place, so the jobs become visible to workers (or stay
 * unclassified). One statement for all of them (update + timeline events), so one round trip and
 * one commit; returns the jobs that were still in staging. Called through queueStagedJobs.
 */
export async function finishStagingMany(
  db: Db,
  items: ReadonlyArray<{ readonly jobId: string; readonly status: 'queued' | 'unclassified'; readonly data?: Readonly<Record<string, unknown>> }>,
  message: string,
): Promise<JobRow[]> {
  if (items.length === 0) return [];
  const result = await sql<JobRow>`
    WITH input AS (
      SELECT * FROM unnest(${items.map((item) => item.jobId)}::uuid[], ${items.map((item) => item.status)}::text[], ${items.map((item) => JSON.stringify(item.data ?? {}))}::jsonb[]) AS t(id, status, data)
    ), staged AS (
      UPDATE jobs SET status = input.status, updated_at = now(), run_after = now()
      FROM input WHERE jobs.id = input.id AND jobs.status = 'staging'
      RETURNING jobs.*, input.data AS event_data
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message, data)
      SELECT id, 'staged', status, ${message}, event_data FROM staged
    ), seen AS (
      -- The sources' last arrival (migration 0012), in key order so concurrent batches lock rows alike.
      INSERT INTO sources AS s (customer, category, type, group_name, first_received_at, last_received_at, last_job_id, arrivals)
      SELECT DISTINCT ON (customer, category, type, group_name)
             customer, category, type, group_name, min(received_at) OVER w, received_at, id, count(*) OVER w
        FROM staged WHERE status <> 'unclassified'
      WINDOW w AS (PARTITION BY customer, category, type, group_name)
       ORDER BY customer, category, type, group_name, received_at DESC, id DESC
      ${MERGE_SOURCE_ARRIVAL}
    )
    SELECT * FROM staged`.execute(db);
  return result.rows.map(({ event_data: _ignored, ...job }: JobRow & { event_data?: unknown }) => job as JobRow);
}

/** Removes a staging row whose original never became durable (it was never acknowledged). */
export async function deleteStagingJob(db: Db, jobId: string): Promise<void> {
  await db.deleteFrom('jobs').where('id', '=', jobId).where('status', '=', 'staging').execute();
}

export async function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findJobByIdempotencyKey(db: Db, key: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export async function findJobByRelativePath(db: Db, relativePath: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('relative_path', '=', relativePath).executeTakeFirst();
}

export async function listJobEvents(db: Db, jobId: string): Promise<JobEventRow[]> {
  return db.selectFrom('job_events').selectAll().where('job_id', '=', jobId).orderBy('id').execute();
}

/** Staging rows older than the cut-off (of one node, or of any with a shared data root): their writer crashed or gave up. */
export async function findAbandonedStagingJobs(db: Db, args: { readonly node: string | null; readonly olderThanSeconds: number }): Promise<JobRow[]> {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .where('status', '=', 'staging')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${args.olderThanSeconds})`);
  if (args.node !== null) query = query.where('node', '=', args.node);
  return query.execute();
}

/**
 * How many jobs already arrived in the same second for the same customer/category/type/group:
 * a good first guess for the `_<n>` suffix of a new job's folder, so bursts don't probe
 * `_2, _3, …` one insert at a time.
 */
export async function countJobsInSameSecond(
  db: Db,
  args: { readonly customer: string; readonly category: string; readonly type: string; readonly group: string; readonly receivedAt: Date },
): Promise<number> {
  const second = Math.floor(args.receivedAt.getTime() / 1000) * 1000;
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('received_at', '>=', new Date(second))
    .where('received_at', '<', new Date(second + 1000))
    .where('customer', '=', args.customer)
    .where('category', '=', args.category)
    .where('type', '=', args.type)
    .where('group_name', '=', args.group)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The jobs of these staging ids (the spool's records name their jobs by it), keyed by staging id. */
export async function findJobsByStagingIds(db: Db, stagingIds: readonly string[]): Promise<Map<string, JobRow>> {
  if (stagingIds.length === 0) return new Map();
  const rows = await db.selectFrom('jobs').selectAll().where('staging_id', 'in', stagingIds).execute();
  return new Map(rows.map((row) => [row.staging_id, row]));
}

/**
 * Spooled jobs still in `staging` whose record lies in `segment` at or after `fromOffset`: records
 * a replay could not read (a damaged segment) that must not be deleted with it.
 */
export async function countSpooledStagingJobs(db: Db, args: { readonly segment: string; readonly fromOffset: number }): Promise<number> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('status', '=', 'staging')
    .where(sql<string>`manifest->'spool'->>'segment'`, '=', args.segment)
    .where(sql<number>`(manifest->'spool'->>'offset')::bigint`, '>=', args.fromOffset)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findStagingIds(db: Db, stagingIds: readonly string[]): Promise<Set<string>> {
  if (stagingIds.length === 0) return new Set();
  const rows = await db.selectFrom('jobs').select('staging_id').where('staging_id', 'in', stagingIds).execute();
  return new Set(rows.map((row) => row.staging_id));
}

export type { JobListFilter };

export interface JobListCursor {
  readonly receivedAt: Date;
  readonly id: string;
}

/** Newest first, keyset-paginated on (received_at, id) so deep pages stay as fast as the first. */
export async function listJobs(db: Db, args: { readonly filter: JobListFilter; readonly limit: number; readonly after?: JobListCursor }): Promise<JobRow[]> {
  let query = applyJobFilter(db.selectFrom('jobs').selectAll(), args.filter);
  if (args.after !== undefined) {
    const { receivedAt, id } = args.after;
    query = query.where(sql<boolean>`(received_at, id) < (${receivedAt}, ${id}::uuid)`);
  }
  return query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(args.limit).execute();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
