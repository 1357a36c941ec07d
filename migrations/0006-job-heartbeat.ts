import { sql, type Kysely } from 'kysely';

/**
 * When the worker running a job last renewed its lease. The sweeper times a running job out only
 * when its worker was still renewing after the deadline: that proves the job ran that long. A
 * worker that died before its deadline leaves `heartbeat_at` behind it, so the job's lease
 * expires and it is re-queued instead (time the process was dead is not time spent running).
 * Nullable, no default: adding it rewrites nothing, and rows claimed before it stay NULL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz`.execute(db);
  await sql`COMMENT ON COLUMN jobs.heartbeat_at IS 'Last lease renewal of the current attempt (set at claim and by every heartbeat)'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs DROP COLUMN heartbeat_at`.execute(db);
}
