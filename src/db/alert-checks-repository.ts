import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A job the trigger of migration 0014 queued for alerting, as it is now. */
export interface JobAlertEvent {
  readonly jobId: string;
  /** The status the job took when it was queued. */
  readonly status: string;
  /** Its status now: another step may have moved it on (a failed arrival passes through unclassified). */
  readonly currentStatus: string | null;
  readonly customer: string | null;
  readonly category: string | null;
  readonly type: string | null;
  readonly group: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly receivedAt: Date | null;
}

/**
 * Takes (deletes) up to `limit` queued job events, oldest first, with the job as it is now (null
 * fields when retention already deleted it). Run inside the transaction that records what they
 * mean: a rollback puts them back, SKIP LOCKED lets other instances take other ones.
 */
export async function takeJobAlertEvents(trx: Transaction<Database>, limit: number): Promise<JobAlertEvent[]> {
  const result = await sql<{
    job_id: string;
    status: string;
    current_status: string | null;
    customer: string | null;
    category: string | null;
    type: string | null;
    group_name: string | null;
    error_code: string | null;
    error_message: string | null;
    received_at: Date | null;
  }>`
    WITH taken AS (
      DELETE FROM alert_job_events WHERE id IN (SELECT id FROM alert_job_events ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id, job_id, status
    )
    SELECT taken.job_id, taken.status, j.status AS current_status, j.customer, j.category, j.type, j.group_name, j.error_code, j.error_message, j.received_at
      FROM taken LEFT JOIN jobs j ON j.id = taken.job_id
     ORDER BY taken.id`.execute(trx);
  return result.rows.map((row) => ({
    jobId: row.job_id,
    status: row.status,
    currentStatus: row.current_status,
    customer: row.customer,
    category: row.category,
    type: row.type,
    group: row.group_name,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    receivedAt: row.received_at,
  }));
}

/**
 * Whether a job of this customer and module received after `receivedAfter` has succeeded: the
 * module works again for new arrivals. Walks the (customer, status, received_at) index from the
 * failure on.
 */
export async function hasSucceededSince(
  db: Db,
  args: { readonly customer: string; readonly category: string; readonly type: string; readonly receivedAfter: Date },
): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('customer', '=', args.customer)
    .where('status', '=', 'succeeded')
    .where('received_at', '>', args.receivedAfter)
    .where('category', '=', args.category)
    .where('type', '=', args.type)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether any arrival of the customer is still unclassified (assigned, cancelled or purged ones are not). */
export async function hasUnclassifiedJobs(db: Db, customer: string): Promise<boolean> {
  const row = await db.selectFrom('jobs').select('id').where('customer', '=', customer).where('status', '=', 'unclassified').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The queued job that has been runnable longest (the claim index's first row), and when a job last finished. */
export async function findOldestRunnableJob(db: Db): Promise<{
  readonly oldest:
    { readonly id: string; readonly customer: string; readonly category: string; readonly type: string; readonly runnableSince: Date } | undefined;
  readonly lastFinishedAt: Date | null;
}> {
  const oldest = await db
    .selectFrom('jobs')
    .select(['id', 'customer', 'category', 'type', 'run_after'])
    .where('status', '=', 'queued')
    .where('run_after', '<=', sql<Date>`now()`)
    .orderBy('run_after')
    .orderBy('received_at')
    .limit(1)
    .executeTakeFirst();
  const finished = await sql<{ at: Date | null }>`SELECT max(finished_at) AS at FROM jobs WHERE finished_at IS NOT NULL`.execute(db);
  return {
    oldest:
      oldest === undefined
        ? undefined
        : { id: oldest.id, customer: oldest.customer, category: oldest.category, type: oldest.type, runnableSince: oldest.run_after },
    lastFinishedAt: finished.rows[0]?.at ?? null,
  };
}

/**
 * The transaction-scoped advisory lock of the shared alert checks: one instance at a time runs
 * them (the others skip that round), so two instances never flap a condition open and shut.
 */
export async function tryTakeAlertCheckLock(trx: Transaction<Database>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended('dataprocessor:alert-checks', 0)) AS locked`.execute(trx);
  return rows[0]?.locked === true;
}
