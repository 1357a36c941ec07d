import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, JobRow, JobStatus } from './database-schema.js';
import type { JobParseIssues } from '../modules/parse-issue-log.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Takes up to `owners.length` of the oldest due queued jobs in one statement and leases the
 * n-th to `owners[n]`, each with its own lease, deadline and `claimed` event, as if claimed one
 * by one (a worker with several free slots claims them in one round trip and one commit).
 * SKIP LOCKED lets any number of workers (threads, processes, hosts) poll the same table without
 * ever taking the same job. Without a shared data root a node only takes the jobs it staged,
 * since only it can read them; and a worker only takes jobs of modules it has (a rolling deploy
 * leaves the others queued): `moduleKeys`, and at most one job of `limitedModuleKeys` (modules
 * whose running jobs the worker bounds, such as large exports). Returns the claimed jobs oldest
 * first (possibly none).
 */
export async function claimJobs(
  db: Db,
  args: {
    readonly owners: readonly string[];
    readonly node: string;
    readonly anyNode: boolean;
    readonly leaseSeconds: number;
    readonly moduleKeys: readonly string[];
    readonly limitedModuleKeys?: readonly string[];
  },
): Promise<JobRow[]> {
  const limit = args.owners.length;
  // Without a shared root a separate statement text (`node = $1`), not `(anyNode OR node = $1)`,
  // so each can use its own partial index.
  const where = args.anyNode ? sql`status = 'queued' AND run_after <= now()` : sql`status = 'queued' AND node = ${args.node} AND run_after <= now()`;
  const due = (keys: readonly string[], rows: number) =>
    sql`SELECT id, run_after, received_at FROM jobs WHERE ${where} AND (category || '/' || type) = ANY(${keys}::text[])
        ORDER BY run_after, received_at LIMIT ${rows} FOR UPDATE SKIP LOCKED`;
  // Each part a CTE of its own: FOR UPDATE is not allowed directly under UNION.
  const parts = [
    ...(args.moduleKeys.length > 0 ? [{ name: sql`free`, query: due(args.moduleKeys, limit) }] : []),
    ...((args.limitedModuleKeys ?? []).length > 0 ? [{ name: sql`bounded`, query: due(args.limitedModuleKeys ?? [], 1) }] : []),
  ];
  if (limit === 0 || parts.length === 0) return [];
  const result = await sql<JobRow & { claim_order: number }>`
    WITH ${sql.join(parts.map((part) => sql`${part.name} AS (${part.query})`))},
    due AS (${sql.join(
      parts.map((part) => sql`SELECT * FROM ${part.name}`),
      sql` UNION ALL `,
    )}), next AS (
      -- Window functions may not sit beside FOR UPDATE: numbered one level up. A row locked but
      -- beyond the limit is left queued (locked until this transaction ends).
      SELECT id, (row_number() OVER (ORDER BY run_after, received_at))::int AS n FROM due
    ), claimed AS (
      UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = (${args.owners}::text[])[next.n],
        lease_expires_at = now() + make_interval(secs => ${args.leaseSeconds}), heartbeat_at = now(),
        -- Per attempt: time spent on an earlier attempt, or while no worker ran the job, never counts.
        started_at = now(), finished_at = NULL, deadline_at = now() + make_interval(secs => timeout_seconds),
        progress = NULL, updated_at = now()
      FROM next WHERE jobs.id = next.id AND next.n <= ${limit}
      RETURNING jobs.*, next.n AS claim_order
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message, data)
      SELECT id, 'claimed', 'running', 'attempt ' || attempts || ' of ' || max_attempts || ' started', jsonb_build_object('owner', lease_owner::text)
      FROM claimed
    )
    SELECT * FROM claimed ORDER BY claim_order`.execute(db);
  return result.rows.map(({ claim_order: _order, ...job }) => job);
}

/** Takes the oldest due queued job and leases it to `owner` (claimJobs for one slot). */
export async function claimNextJob(
  db: Db,
  args: { readonly owner: string; readonly node: string; readonly anyNode: boolean; readonly leaseSeconds: number; readonly moduleKeys: readonly string[] },
): Promise<JobRow | undefined> {
  const { owner, ...rest } = args;
  return (await claimJobs(db, { ...rest, owners: [owner] }))[0];
}

const MAX_ERROR_MESSAGE_CHARS = 2000;

/**
 * Error codes and messages come from anywhere (a parser quoting its input, a driver): PostgreSQL
 * text refuses NUL, and a timeline should not carry control characters or megabytes.
 */
export function cleanErrorText(text: string, maxChars = MAX_ERROR_MESSAGE_CHARS): string {
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  return clean.length > maxChars ? `${clean.slice(0, maxChars)}…` : clean;
}

function cleanError(error: { readonly code: string; readonly message: string }): { code: string; message: string } {
  return { code: cleanErrorText(error.code, 100), message: cleanErrorText(error.message) };
}

/**
 * Extends the lease while the job runs. Returns what the worker must know: whether it still owns
 * the job, and whether someone asked to cancel it.
 */
export async function extendLease(
  db: Db,
  args: { readonly jobId: string; readonly owner: string; readonly leaseSeconds: number; readonly progress?: unknown },
): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const row = await db
    .updateTable('jobs')
    .set({
      lease_expires_at: sql<Date>`now() + make_interval(secs => ${args.leaseSeconds})`,
      heartbeat_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
      ...(args.progress === undefined ? {} : { progress: JSON.stringify(args.progress) }),
    })
    .where('id', '=', args.jobId)
    .where('status', '=', 'running')
    .where('lease_owner', '=', args.owner)
    .returning(['cancel_requested_at'])
    .executeTakeFirst();
  return { owned: row !== undefined, cancelRequested: row?.cancel_requested_at != null };
}

export interface FinishJobArgs {
  readonly jobId: string;
  readonly owner: string;
  readonly status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>;
  readonly stats?: Readonly<Record<string, unknown>>;
  readonly error?: { readonly code: string; readonly message: string } | null;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** The run's parse issues (what the module's parse returned, and upsert added); left as they were when undefined. */
  readonly parseIssues?: JobParseIssues;
}

/**
 * Ends a run, fenced on the lease: when the lease was lost (expired and re-queued, timed out,
 * taken by another worker) nothing is updated and false is returned, so a caller inside the
 * module's transaction rolls its rows back. This is what makes a job's rows commit exactly once.
 */
export async function finishJob(db: Db, args: FinishJobArgs): Promise<boolean> {
  const error = args.error == null ? null : cleanError(args.error);
  // One statement (the job and its timeline event): one round trip per finished job, not two.
  const result = await sql<{ id: string }>`
    WITH finished AS (
      UPDATE jobs SET status = ${args.status}, finished_at = clock_timestamp(), updated_at = now(), lease_owner = NULL, lease_expires_at = NULL,
        error_code = ${error?.code ?? null}, error_message = ${error?.message ?? null}
        ${args.stats === undefined ? sql`` : sql`, stats = ${JSON.stringify(args.stats)}::jsonb`}
        ${args.parseIssues === undefined ? sql`` : sql`, parse_issues = ${JSON.stringify(args.parseIssues)}::jsonb`}
      WHERE id = ${args.jobId} AND status = 'running' AND lease_owner = ${args.owner}
      RETURNING id
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message, data)
      SELECT id, 'finished', ${args.status}::text, ${cleanErrorText(args.message)}::text, ${JSON.stringify(args.data ?? {}).replaceAll('\\u0000', '')}::jsonb FROM finished
    )
    SELECT id FROM finished`.execute(db);
  return result.rows.length > 0;
}

/** Puts a failed run back in the queue to try again at `retryInSeconds` (fenced like finishJob). */
export async function scheduleRetry(
  db: Db,
  args: {
    readonly jobId: string;
    readonly owner: string;
    readonly retryInSeconds: number;
    readonly error: { readonly code: string; readonly message: string };
  },
): Promise<boolean> {
  const error = cleanError(args.error);
  const row = await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      run_after: sql<Date>`now() + make_interval(secs => ${args.retryInSeconds})`,
      updated_at: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
      error_code: error.code,
      error_message: error.message,
    })
    .where('id', '=', args.jobId)
    .where('status', '=', 'running')
    .where('lease_owner', '=', args.owner)
    .returning('id')
    .executeTakeFirst();
  if (row === undefined) return false;
  await db
    .insertInto('job_events')
    .values({
      job_id: args.jobId,
      kind: 'retry_scheduled',
      status: 'queued',
      message: `${error.code}: ${error.message}; retrying in ${Math.round(args.retryInSeconds)} s`,
      data: JSON.stringify({ retryInSeconds: args.retryInSeconds }),
    })
    .execute();
  return true;
}

/** Gives a job back untouched (shutdown before it could finish): the attempt does not count. */
export async function releaseJob(db: Db, args: { readonly jobId: string; readonly owner: string; readonly reason: string }): Promise<boolean> {
  const row = await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      attempts: sql<number>`greatest(attempts - 1, 0)`,
      run_after: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', args.jobId)
    .where('status', '=', 'running')
    .where('lease_owner', '=', args.owner)
    .returning('id')
    .executeTakeFirst();
  if (row === undefined) return false;
  await db.insertInto('job_events').values({ job_id: args.jobId, kind: 'released', status: 'queued', message: args.reason, data: '{}' }).execute();
  return true;
}

/**
 * Running jobs past their deadline become `timed_out` (the seed's JOBS-TIMEOUT), but only those
 * whose worker is provably still running them: the lease is live and was renewed after the
 * deadline. A worker normally stops its own job at the deadline; this catches a module that
 * ignores the abort. A worker that died before the deadline never renews again, so its job waits
 * for the lease to expire and is re-queued by requeueExpiredLeases (run that first): the timeout
 * measures time spent running, not time the process was dead.
 */
export async function timeOutOverdueJobs(db: Db): Promise<Array<{ id: string }>> {
  const result = await sql<{ id: string }>`
    WITH overdue AS (
      UPDATE jobs SET status = 'timed_out', finished_at = now(), updated_at = now(), lease_owner = NULL, lease_expires_at = NULL,
        error_code = 'JOB_TIMEOUT', error_message = 'the job ran longer than its timeout of ' || timeout_seconds || ' s'
      WHERE status = 'running' AND deadline_at < now() AND lease_expires_at >= now() AND heartbeat_at > deadline_at
      RETURNING id, timeout_seconds
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message)
      SELECT id, 'timed_out', 'timed_out', 'timeout of ' || timeout_seconds || ' s exceeded' FROM overdue
    )
    SELECT id FROM overdue`.execute(db);
  return result.rows;
}

/**
 * Running jobs whose lease expired (their worker died or lost the database) go back to the
 * queue after a backoff (a job that kills its process must not crash the cluster in a loop),
 * or fail with LEASE_EXPIRED once they used all their attempts: never left `running`. Whether
 * the deadline passed meanwhile does not matter (see timeOutOverdueJobs).
 */
export async function requeueExpiredLeases(
  db: Db,
  args: { readonly backoffBaseSeconds: number; readonly backoffMaxSeconds: number },
): Promise<Array<{ id: string; status: JobStatus }>> {
  const result = await sql<{ id: string; status: JobStatus }>`
    WITH expired AS (
      UPDATE jobs SET
        status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
        finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END,
        error_code = CASE WHEN attempts >= max_attempts THEN 'LEASE_EXPIRED' ELSE error_code END,
        error_message = CASE WHEN attempts >= max_attempts
          THEN 'the worker stopped renewing its lease (killed, or cut off from the database) on attempt ' || attempts || ' of ' || max_attempts || '; no attempts left'
          ELSE error_message END,
        run_after = now() + make_interval(secs => least(${args.backoffMaxSeconds}::float8, ${args.backoffBaseSeconds}::float8 * power(2, greatest(attempts - 1, 0)))),
        updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
      -- A running row without a lease (written by hand) would otherwise stay running forever.
      WHERE status = 'running' AND (lease_expires_at < now() OR lease_expires_at IS NULL)
      RETURNING id, status, attempts, max_attempts
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message)
      SELECT id, 'lease_expired', status, 'the worker stopped renewing its lease (attempt ' || attempts || ' of ' || max_attempts || ')' FROM expired
    )
    SELECT id, status FROM expired`.execute(db);
  return result.rows;
}
