import { sql, type Kysely } from 'kysely';
import type { Database } from './database-schema.js';
import { ACTIVE_STATUSES } from './job-summary-repository.js';

/** A count in one minute for one key (a job source, or an outcome). */
export interface MinuteCount {
  readonly minute: Date;
  readonly key: string;
  readonly count: number;
}

interface WindowArgs {
  readonly since: Date;
  /** A customer key's scope; undefined: every customer. */
  readonly customer: string | undefined;
}

/** Arrivals per minute and source since `since`: a range scan of jobs_received_idx (or the customer's index). */
export async function countArrivalsPerMinute(db: Kysely<Database>, args: WindowArgs): Promise<MinuteCount[]> {
  let query = db
    .selectFrom('jobs')
    .select([sql<Date>`date_trunc('minute', received_at)`.as('minute'), 'source as key', sql<string>`count(*)`.as('count')])
    .where('received_at', '>=', args.since)
    .where('status', '!=', 'staging');
  if (args.customer !== undefined) query = query.where('customer', '=', args.customer);
  const rows = await query.groupBy([sql`1`, sql`2`]).execute();
  return rows.map((row) => ({ minute: row.minute, key: row.key, count: Number(row.count) }));
}

/** Jobs that ended per minute and final status since `since`: a range scan of jobs_finished_idx (migration 0010). */
export async function countOutcomesPerMinute(db: Kysely<Database>, args: WindowArgs): Promise<MinuteCount[]> {
  let query = db
    .selectFrom('jobs')
    .select([sql<Date>`date_trunc('minute', finished_at)`.as('minute'), 'status as key', sql<string>`count(*)`.as('count')])
    .where('finished_at', '>=', args.since)
    .where('status', 'in', ['succeeded', 'failed', 'timed_out', 'cancelled']);
  if (args.customer !== undefined) query = query.where('customer', '=', args.customer);
  const rows = await query.groupBy([sql`1`, sql`2`]).execute();
  return rows.map((row) => ({ minute: row.minute, key: row.key, count: Number(row.count) }));
}

/** Jobs not finished yet, by state (the status indexes; small sets). */
export async function countBacklog(db: Kysely<Database>, args: { readonly customer: string | undefined }): Promise<Record<string, number>> {
  let query = db
    .selectFrom('jobs')
    .select(['status', sql<string>`count(*)`.as('count')])
    .where('status', 'in', ACTIVE_STATUSES);
  if (args.customer !== undefined) query = query.where('customer', '=', args.customer);
  const rows = await query.groupBy('status').execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

/** The queue's health: how long the oldest job ready to run has waited, and the oldest heartbeat of a running job. */
export async function queueAges(db: Kysely<Database>): Promise<{ oldestReadySeconds: number | null; oldestHeartbeatSeconds: number | null }> {
  const row = await sql<{ ready: number | null; heartbeat: number | null }>`
    SELECT (SELECT extract(epoch FROM now() - min(run_after)) FROM jobs WHERE status = 'queued' AND run_after <= now()) AS ready,
           (SELECT extract(epoch FROM now() - min(coalesce(heartbeat_at, started_at))) FROM jobs WHERE status = 'running') AS heartbeat`.execute(db);
  const first = row.rows[0];
  const seconds = (value: number | string | null | undefined): number | null => (value === null || value === undefined ? null : Math.round(Number(value)));
  return { oldestReadySeconds: seconds(first?.ready), oldestHeartbeatSeconds: seconds(first?.heartbeat) };
}

/** Refused arrivals since `since` (refused_arrivals_at_idx; a customer's own through its partial index). */
export async function countRefusedSince(db: Kysely<Database>, args: WindowArgs): Promise<number> {
  let query = db
    .selectFrom('refused_arrivals')
    .select(sql<string>`count(*)`.as('count'))
    .where('at', '>=', args.since);
  if (args.customer !== undefined) query = query.where('customer', '=', args.customer);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.count);
}
