import { sql, type Kysely } from 'kysely';
import { IngestError } from '../core/ingest-error.js';
import type { Database, HoldRow } from './database-schema.js';

/** What a hold matches; an absent field matches anything (at least one must be given). */
export interface HoldScope {
  readonly customer?: string | undefined;
  readonly category?: string | undefined;
  readonly type?: string | undefined;
  readonly group?: string | undefined;
}

export interface HoldWithCount {
  readonly hold: HoldRow;
  /** Jobs held right now that this hold matches. */
  readonly heldJobs: number;
}

/**
 * Places a hold and holds the matching jobs that are queued now; from then on the trigger of
 * migration 0011 holds every matching job that becomes queued. Running jobs finish their run.
 * An unknown customer is refused (`CUSTOMER_UNKNOWN`): a typo would otherwise hold nothing, silently.
 */
export async function addHold(db: Kysely<Database>, args: HoldScope & { readonly reason: string; readonly createdBy: string }): Promise<HoldWithCount> {
  return db.transaction().execute(async (trx) => {
    if (args.customer !== undefined && (await trx.selectFrom('customers').select('id').where('slug', '=', args.customer).executeTakeFirst()) === undefined) {
      throw new IngestError('CUSTOMER_UNKNOWN', `customer: no customer "${args.customer}"`, { expose: true });
    }
    const hold = await trx
      .insertInto('holds')
      .values({
        customer: args.customer ?? null,
        category: args.category ?? null,
        type: args.type ?? null,
        group_name: args.group ?? null,
        reason: args.reason,
        created_by: args.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await sql`
      WITH held AS (
        UPDATE jobs SET status = 'held', updated_at = now()
        WHERE status = 'queued' AND ${matchesHold(hold)}
        RETURNING id
      )
      INSERT INTO job_events (job_id, kind, status, message, data)
      SELECT id, 'held', 'held', ${`held by hold ${hold.id}${args.reason === '' ? '' : `: ${args.reason}`}`}, ${JSON.stringify({ holdId: hold.id })}::jsonb FROM held`.execute(
      trx,
    );
    return { hold, heldJobs: await countHeldJobs(trx, hold) };
  });
}

export async function listHolds(db: Kysely<Database>): Promise<HoldWithCount[]> {
  const holds = await db.selectFrom('holds').selectAll().orderBy('id').execute();
  return Promise.all(holds.map(async (hold) => ({ hold, heldJobs: await countHeldJobs(db, hold) })));
}

export async function findHold(db: Kysely<Database>, id: string): Promise<HoldWithCount | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const hold = await db.selectFrom('holds').selectAll().where('id', '=', id).executeTakeFirst();
  return hold === undefined ? undefined : { hold, heldJobs: await countHeldJobs(db, hold) };
}

/**
 * Releases a hold: its held jobs go back to the queue, in arrival order (they all get the same
 * `run_after`, so the claim's `ORDER BY run_after, received_at` takes them oldest arrival first;
 * a retry still waiting for its backoff keeps its later time). A job another hold still matches
 * stays held (the trigger sees to it). Undefined when there is no such hold.
 */
export async function releaseHold(
  db: Kysely<Database>,
  args: { readonly id: string; readonly releasedBy: string },
): Promise<{ hold: HoldRow; released: number } | undefined> {
  if (!/^\d{1,18}$/.test(args.id)) return undefined;
  return db.transaction().execute(async (trx) => {
    // The DELETE waits for jobs being queued under this hold right now (they lock it): the
    // UPDATE below, a new statement, then sees them.
    const hold = await trx.deleteFrom('holds').where('id', '=', args.id).returningAll().executeTakeFirst();
    if (hold === undefined) return undefined;
    const result = await sql<{ count: string }>`
      WITH released AS (
        UPDATE jobs SET status = 'queued', run_after = greatest(run_after, statement_timestamp()), updated_at = now()
        WHERE status = 'held' AND ${matchesHold(hold)}
        RETURNING id, status
      ), logged AS (
        INSERT INTO job_events (job_id, kind, status, message, data)
        SELECT id, 'released', status, ${`hold ${hold.id} released by ${args.releasedBy}`}, ${JSON.stringify({ holdId: hold.id })}::jsonb FROM released
      )
      SELECT count(*) FILTER (WHERE status = 'queued') AS count FROM released`.execute(trx);
    return { hold, released: Number(result.rows[0]?.count ?? 0) };
  });
}

async function countHeldJobs(db: Kysely<Database>, hold: HoldRow): Promise<number> {
  const result = await sql<{ count: string }>`SELECT count(*) AS count FROM jobs WHERE status = 'held' AND ${matchesHold(hold)}`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

function matchesHold(hold: HoldRow) {
  const field = (column: string, value: string | null) => (value === null ? sql`true` : sql`${sql.ref(column)} = ${value}`);
  return sql`${field('customer', hold.customer)} AND ${field('category', hold.category)} AND ${field('type', hold.type)} AND ${field('group_name', hold.group_name)}`;
}
