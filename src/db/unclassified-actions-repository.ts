import { MERGE_SOURCE_ARRIVAL } from './sources-repository.js';
import { sql, type Kysely } from 'kysely';
import type { Database, JobRow } from './database-schema.js';
import type { JobActionResult, JobActor } from './job-actions-repository.js';
import { addJobEvent } from './jobs-repository.js';

/**
 * An operator tells an unclassified arrival what it is: the job takes the module and group and
 * joins the queue like any other (a hold still applies: the trigger of migration 0011). Its
 * original stays where it was staged (the job keeps its folder); the source it now belongs to
 * records the arrival. Conditional on `unclassified`, so two operators cannot both assign it.
 */
export async function assignUnclassifiedJob(
  db: Kysely<Database>,
  args: { readonly jobId: string; readonly category: string; readonly type: string; readonly group: string; readonly actor: JobActor },
): Promise<JobActionResult> {
  const job = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('jobs')
      .set({
        category: args.category,
        type: args.type,
        group_name: args.group,
        status: 'queued',
        attempts: 0,
        run_after: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', args.jobId)
      .where('status', '=', 'unclassified')
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    await addJobEvent(trx, {
      jobId: row.id,
      kind: 'assigned',
      status: row.status,
      message: `assigned to ${args.category}/${args.type}, group ${args.group} (key ${args.actor.label || args.actor.keyId})`,
      data: { keyId: args.actor.keyId, module: `${args.category}/${args.type}`, group: args.group },
    });
    await sql`
      INSERT INTO sources AS s (customer, category, type, group_name, first_received_at, last_received_at, last_job_id, arrivals)
      VALUES (${row.customer}, ${row.category}, ${row.type}, ${row.group_name}, ${row.received_at}, ${row.received_at}, ${row.id}, 1)
      ${MERGE_SOURCE_ARRIVAL}`.execute(trx);
    return row;
  });
  return job === undefined ? stateOf(db, args.jobId) : { outcome: 'done', job };
}

/** Dismisses an unclassified arrival with a reason: it ends `cancelled` (DISMISSED), its files kept until retention. */
export async function dismissUnclassifiedJob(
  db: Kysely<Database>,
  args: { readonly jobId: string; readonly reason: string; readonly actor: JobActor },
): Promise<JobActionResult> {
  const job = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('jobs')
      .set({
        status: 'cancelled',
        finished_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
        error_code: 'DISMISSED',
        error_message: `dismissed: ${args.reason}`,
      })
      .where('id', '=', args.jobId)
      .where('status', '=', 'unclassified')
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    await addJobEvent(trx, {
      jobId: row.id,
      kind: 'dismissed',
      status: 'cancelled',
      message: `dismissed (key ${args.actor.label || args.actor.keyId}): ${args.reason}`,
      data: { keyId: args.actor.keyId, reason: args.reason },
    });
    return row;
  });
  return job === undefined ? stateOf(db, args.jobId) : { outcome: 'done', job };
}

async function stateOf(db: Kysely<Database>, jobId: string): Promise<JobActionResult> {
  const row: Pick<JobRow, 'status'> | undefined = await db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
  return row === undefined ? { outcome: 'missing' } : { outcome: 'conflict', status: row.status };
}
