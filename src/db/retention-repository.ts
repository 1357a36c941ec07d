import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { RetentionOverride, RetentionWindows } from '../config/retention-schema.js';
import { FINAL_JOB_STATUSES, type Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A job's archive copy in a bucket, as its row recorded it (migration 0017); removing the archive removes these objects too. */
export interface RecordedArchiveObjects {
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly count: number;
  readonly bytes: number;
}

/** The windows a purge applies: defaults, and overrides per customer and/or module. */
export interface RetentionPolicy {
  readonly defaults: RetentionWindows;
  readonly overrides: readonly RetentionOverride[];
}

/** Where a scan of one kind of job stopped: the next scan starts after it (oldest end first). */
export interface PurgeCursor {
  /** ISO 8601 with microseconds: a Date would drop them, and the scan would find the same row again. */
  readonly endedAt: string;
  readonly id: string;
}

/** A job as the purge sees it: where its files are, its age, and the windows that apply to it. */
export interface PurgeCandidate {
  readonly id: string;
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly relativePath: string;
  readonly node: string;
  readonly status: string;
  /** When it ended (unclassified: arrived), exact to the microsecond: the scan's cursor. */
  readonly endedAt: string;
  /** Days since the job ended (unclassified: since it arrived), by the database's clock. */
  readonly ageDays: number;
  readonly inboxPurged: boolean;
  readonly archivePurged: boolean;
  /** The run that ended it made an archive copy (the `finished` event says so). */
  readonly archived: boolean;
  /** The copy in the bucket tier, if one was uploaded. */
  readonly archiveObjects: RecordedArchiveObjects | null;
  readonly failedArrival: boolean;
  readonly windows: RetentionWindows;
}

// No job ended before 1970: the epoch is before every row (and within PostgreSQL's range).
const FIRST_CURSOR: PurgeCursor = { endedAt: '1970-01-01T00:00:00.000000Z', id: '00000000-0000-0000-0000-000000000000' };
export const startOfScan = (): PurgeCursor => FIRST_CURSOR;

/**
 * Session advisory lock of the purge on `connection` (a connection kept for the run): one runner
 * at a time across instances. A killed process's session ends and the lock with it.
 */
export async function tryTakePurgeLock(connection: Db): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtextextended('dataprocessor:purge', 0)) AS locked`.execute(connection);
  return rows[0]?.locked === true;
}

export async function releasePurgeLock(connection: Db): Promise<void> {
  await sql`SELECT pg_advisory_unlock(hashtextextended('dataprocessor:purge', 0))`.execute(connection);
}

/**
 * The next `limit` final jobs that ended before `endedBefore`, oldest end first, after `after`,
 * each with the windows that apply to it. Read only; the purge locks what it acts on.
 */
export async function scanFinalJobs(
  db: Db,
  args: { readonly policy: RetentionPolicy; readonly after: PurgeCursor; readonly endedBefore: Date; readonly limit: number },
): Promise<PurgeCandidate[]> {
  const { rows } = await sql<CandidateRow>`
    SELECT ${candidateColumns(args.policy)}, ${exactTime(sql`j.finished_at`)} AS ended_at, extract(epoch FROM now() - j.finished_at) / 86400 AS age_days
    FROM jobs j
    WHERE j.finished_at IS NOT NULL AND j.status IN (${sql.join([...FINAL_JOB_STATUSES])})
      AND (j.finished_at, j.id) > (${args.after.endedAt}::timestamptz, ${args.after.id}::uuid) AND j.finished_at < ${args.endedBefore}
    ORDER BY j.finished_at, j.id
    LIMIT ${args.limit}`.execute(db);
  return rows.map(toCandidate);
}

/** Like scanFinalJobs for unclassified jobs, by arrival time. */
export async function scanUnclassifiedJobs(
  db: Db,
  args: { readonly policy: RetentionPolicy; readonly after: PurgeCursor; readonly endedBefore: Date; readonly limit: number },
): Promise<PurgeCandidate[]> {
  const { rows } = await sql<CandidateRow>`
    SELECT ${candidateColumns(args.policy)}, ${exactTime(sql`j.received_at`)} AS ended_at, extract(epoch FROM now() - j.received_at) / 86400 AS age_days
    FROM jobs j
    WHERE j.status = 'unclassified' AND (j.received_at, j.id) > (${args.after.endedAt}::timestamptz, ${args.after.id}::uuid) AND j.received_at < ${args.endedBefore}
    ORDER BY j.received_at, j.id
    LIMIT ${args.limit}`.execute(db);
  return rows.map(toCandidate);
}

/** The job a purge may act on, locked until the transaction ends; gone, busy or changed jobs are left out. */
export interface LockedJob {
  readonly id: string;
  readonly customer: string;
  readonly relativePath: string;
  readonly node: string;
  /** As committed now: another runner may have removed the files since the scan. */
  readonly inboxPurged: boolean;
  readonly archivePurged: boolean;
  readonly archiveObjects: RecordedArchiveObjects | null;
}

/**
 * Locks the given jobs for removal, skipping rows another transaction holds (a second runner, an
 * operator's retry) and rows whose state changed since they were scanned:
 * - `final`: still final, and ended before `endedBefore` (a retried job ends again later);
 * - `unclassified`: still unclassified and arrived before `endedBefore`;
 * - `idle`: any job no worker or staging is using (for removals on request, e.g. offboarding).
 */
export async function lockJobsForPurge(
  trx: Transaction<Database>,
  args: { readonly ids: readonly string[]; readonly scope: 'final' | 'unclassified' | 'idle'; readonly endedBefore?: Date },
): Promise<LockedJob[]> {
  if (args.ids.length === 0) return [];
  const before = args.endedBefore ?? new Date(Date.now() + 24 * 3600 * 1000);
  const condition =
    args.scope === 'final'
      ? sql`status IN (${sql.join([...FINAL_JOB_STATUSES])}) AND finished_at < ${before}`
      : args.scope === 'unclassified'
        ? sql`status = 'unclassified' AND received_at < ${before}`
        : sql`status NOT IN ('running', 'staging')`;
  const { rows } = await sql<
    { id: string; customer: string; relative_path: string; node: string; inbox_purged: boolean; archive_purged: boolean } & ArchiveColumns
  >`
    SELECT id, customer, relative_path, node, inbox_purged_at IS NOT NULL AS inbox_purged, archive_purged_at IS NOT NULL AS archive_purged,
      ${ARCHIVE_OBJECT_COLUMNS} FROM jobs
    WHERE id = ANY(${[...args.ids]}::uuid[]) AND ${condition}
    ORDER BY id
    FOR UPDATE SKIP LOCKED`.execute(trx);
  return rows.map((row) => ({
    id: row.id,
    customer: row.customer,
    relativePath: row.relative_path,
    node: row.node,
    inboxPurged: row.inbox_purged,
    archivePurged: row.archive_purged,
    archiveObjects: recordedArchiveObjects(row),
  }));
}

/** Deletes job rows (their events cascade). Module rows keep `last_job_id`: it has no foreign key. */
export async function deleteJobRows(trx: Transaction<Database>, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await trx
    .deleteFrom('jobs')
    .where('id', 'in', [...ids])
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Records that a job's inbox originals or its archive copy were removed while its row stays. */
export async function markJobFilesPurged(
  trx: Transaction<Database>,
  args: { readonly ids: readonly string[]; readonly area: 'inbox' | 'archive' },
): Promise<void> {
  if (args.ids.length === 0) return;
  const column = args.area === 'inbox' ? 'inbox_purged_at' : 'archive_purged_at';
  await trx
    .updateTable('jobs')
    .set({ [column]: sql<Date>`now()` })
    .where('id', 'in', [...args.ids])
    .execute();
}

interface ArchiveColumns {
  archive_bucket: string | null;
  archive_key_prefix: string | null;
  archive_objects: number | null;
  archive_object_bytes: string | null;
}

const ARCHIVE_OBJECT_COLUMNS = sql`archive_bucket, archive_key_prefix, archive_objects, archive_object_bytes`;

function recordedArchiveObjects(row: ArchiveColumns): RecordedArchiveObjects | null {
  if (row.archive_bucket === null || row.archive_key_prefix === null) return null;
  return { bucket: row.archive_bucket, keyPrefix: row.archive_key_prefix, count: row.archive_objects ?? 0, bytes: Number(row.archive_object_bytes ?? 0) };
}

interface CandidateRow extends ArchiveColumns {
  id: string;
  customer: string;
  category: string;
  type: string;
  relative_path: string;
  node: string;
  status: string;
  ended_at: string;
  age_days: string | number;
  inbox_purged: boolean;
  archive_purged: boolean;
  archived: boolean;
  failed_arrival: boolean;
  inbox_days: number | null;
  inbox_days_when_archived: number | null;
  archive_days: number | null;
  job_days: number | null;
  failed_arrival_days: number | null;
  unclassified_days: number | null;
}

const WINDOW_COLUMNS = {
  inboxDays: 'inbox_days',
  inboxDaysWhenArchived: 'inbox_days_when_archived',
  archiveDays: 'archive_days',
  jobDays: 'job_days',
  failedArrivalDays: 'failed_arrival_days',
  unclassifiedDays: 'unclassified_days',
} as const satisfies Record<keyof RetentionWindows, keyof CandidateRow>;

function candidateColumns(policy: RetentionPolicy): RawBuilder<unknown> {
  const windows = (Object.keys(WINDOW_COLUMNS) as (keyof RetentionWindows)[]).map((key) => sql`${windowDays(policy, key)} AS ${sql.ref(WINDOW_COLUMNS[key])}`);
  return sql`j.id, j.customer, j.category, j.type, j.relative_path, j.node, j.status,
    j.inbox_purged_at IS NOT NULL AS inbox_purged, j.archive_purged_at IS NOT NULL AS archive_purged,
    j.archive_bucket, j.archive_key_prefix, j.archive_objects, j.archive_object_bytes,
    (j.status = 'failed' AND jsonb_exists(j.source_ref, 'failure')) AS failed_arrival,
    EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = j.id AND e.kind = 'finished' AND e.data @> '{"archived": true}'::jsonb) AS archived,
    ${sql.join(windows)}`;
}

/**
 * The window of one kind for the job in `j`: the most specific override that sets it (customer
 * and module, then customer, then module), else the default. NULL keeps for ever.
 */
function windowDays(policy: RetentionPolicy, key: keyof RetentionWindows): RawBuilder<number | null> {
  const rules = policy.overrides
    .filter((rule) => rule[key] !== undefined)
    .map((rule) => ({ rule, rank: (rule.customer === undefined ? 0 : 2) + (rule.module === undefined ? 0 : 1) }))
    .sort((a, b) => b.rank - a.rank);
  const fallback = sql`${policy.defaults[key]}::float8`;
  if (rules.length === 0) return sql<number | null>`${fallback}`;
  const whens = rules.map(({ rule }) => {
    const conditions: RawBuilder<unknown>[] = [];
    if (rule.customer !== undefined) conditions.push(sql`j.customer = ${rule.customer}`);
    if (rule.module !== undefined) {
      const [category = '', type = ''] = rule.module.split('/');
      conditions.push(sql`j.category = ${category} AND j.type = ${type}`);
    }
    return sql`WHEN ${sql.join(conditions, sql` AND `)} THEN ${rule[key] ?? null}::float8`;
  });
  return sql<number | null>`(CASE ${sql.join(whens, sql` `)} ELSE ${fallback} END)`;
}

function exactTime(column: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

function toCandidate(row: CandidateRow): PurgeCandidate {
  const windows = Object.fromEntries(
    Object.entries(WINDOW_COLUMNS).map(([key, column]) => {
      const value = row[column];
      return [key, value === null ? null : Number(value)];
    }),
  ) as unknown as RetentionWindows;
  return {
    id: row.id,
    customer: row.customer,
    category: row.category,
    type: row.type,
    relativePath: row.relative_path,
    node: row.node,
    status: row.status,
    endedAt: row.ended_at,
    ageDays: Number(row.age_days),
    inboxPurged: row.inbox_purged,
    archivePurged: row.archive_purged,
    archived: row.archived,
    archiveObjects: recordedArchiveObjects(row),
    failedArrival: row.failed_arrival,
    windows,
  };
}
