import { sql, type Kysely } from 'kysely';
import type { Database, JobRow, JobStatus } from './database-schema.js';
import { addJobEvent } from './jobs-repository.js';

/** States an operator may send back to the queue: the run ended without success. */
export const RETRYABLE_STATUSES = ['failed', 'timed_out', 'cancelled'] as const satisfies readonly JobStatus[];
/** States that end at once on cancel: nothing is running for them. */
export const CANCEL_AT_ONCE_STATUSES = ['queued', 'unclassified', 'held'] as const satisfies readonly JobStatus[];

/** Who asked, for the job's timeline (the key's id and label, never the key). */
export interface JobActor {
  readonly keyId: string;
  readonly label: string;
}

export type JobActionResult =
  { readonly outcome: 'done'; readonly job: JobRow } | { readonly outcome: 'conflict'; readonly status: JobStatus } | { readonly outcome: 'missing' };

/** A guard against a job flipping state between our conditional updates forever. */
const MAX_TRANSITION_ATTEMPTS = 3;

/**
 * Sends a failed, timed-out or cancelled job back to the queue with its attempts reset. The
 * update is conditional on the state, so two operators (or an operator and the sweeper) cannot
 * both win; the loser learns the current state.
 */
export async function retryJob(db: Kysely<Database>, args: { readonly jobId: string; readonly actor: JobActor }): Promise<JobActionResult> {
  const job = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('jobs')
      .set({
        status: 'queued',
        attempts: 0,
        run_after: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
        started_at: null,
        finished_at: null,
        deadline_at: null,
        cancel_requested_at: null,
        lease_owner: null,
        lease_expires_at: null,
        progress: null,
      })
      .where('id', '=', args.jobId)
      .where('status', 'in', RETRYABLE_STATUSES)
      // Retention removed its originals: a run could only fail (replay needs them too).
      .where('inbox_purged_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) {
      await addJobEvent(trx, {
        jobId: row.id,
        kind: 'retried',
        status: 'queued',
        message: `sent back to the queue on request (key ${args.actor.label || args.actor.keyId}); attempts reset`,
        data: { keyId: args.actor.keyId },
      });
    }
    return row;
  });
  return job === undefined ? currentState(db, args.jobId) : { outcome: 'done', job };
}

export type CancelResult =
  | { readonly outcome: 'cancelled'; readonly job: JobRow }
  | { readonly outcome: 'requested'; readonly job: JobRow }
  | { readonly outcome: 'conflict'; readonly status: JobStatus }
  | { readonly outcome: 'missing' };

/**
 * Cancels a job: one that is not running ends at once; a running one gets `cancel_requested_at`,
 * which its worker sees at the next heartbeat and stops at its next checkpoint. Asking again
 * while the request is pending changes nothing. Final jobs answer `conflict`.
 */
export async function cancelJob(db: Kysely<Database>, args: { readonly jobId: string; readonly actor: JobActor }): Promise<CancelResult> {
  const who = `key ${args.actor.label || args.actor.keyId}`;
  for (let attempt = 0; attempt < MAX_TRANSITION_ATTEMPTS; attempt += 1) {
    const cancelled = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          finished_at: sql<Date>`now()`,
          updated_at: sql<Date>`now()`,
          error_code: 'CANCELLED',
          error_message: 'cancelled on request',
        })
        .where('id', '=', args.jobId)
        .where('status', 'in', CANCEL_AT_ONCE_STATUSES)
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined)
        await addJobEvent(trx, {
          jobId: row.id,
          kind: 'cancelled',
          status: 'cancelled',
          message: `cancelled on request (${who})`,
          data: { keyId: args.actor.keyId },
        });
      return row;
    });
    if (cancelled !== undefined) return { outcome: 'cancelled', job: cancelled };

    const requested = await db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('jobs')
        .select('cancel_requested_at')
        .where('id', '=', args.jobId)
        .where('status', '=', 'running')
        .forUpdate()
        .executeTakeFirst();
      if (before === undefined) return undefined;
      const row = await trx
        .updateTable('jobs')
        .set({ cancel_requested_at: sql<Date>`coalesce(cancel_requested_at, now())`, updated_at: sql<Date>`now()` })
        .where('id', '=', args.jobId)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (before.cancel_requested_at === null) {
        await addJobEvent(trx, {
          jobId: row.id,
          kind: 'cancel_requested',
          status: 'running',
          message: `cancel requested (${who}); the job stops at its next checkpoint`,
          data: { keyId: args.actor.keyId },
        });
      }
      return row;
    });
    if (requested !== undefined) return { outcome: 'requested', job: requested };

    const state = await currentState(db, args.jobId);
    if (state.outcome === 'missing') return state;
    if (state.outcome === 'conflict' && !(CANCEL_AT_ONCE_STATUSES as readonly JobStatus[]).includes(state.status) && state.status !== 'running') return state;
  }
  return currentState(db, args.jobId);
}

async function currentState(
  db: Kysely<Database>,
  jobId: string,
): Promise<{ readonly outcome: 'conflict'; readonly status: JobStatus } | { readonly outcome: 'missing' }> {
  const row = await db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
  return row === undefined || row.status === 'staging' ? { outcome: 'missing' } : { outcome: 'conflict', status: row.status };
}
