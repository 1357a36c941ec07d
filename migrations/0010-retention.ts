import { sql, type Kysely } from 'kysely';

/**
 * Retention (issue #13): what the purge removed of a job that is still listed, the index it walks
 * (oldest end first), and a record of every purge run.
 *
 * - `jobs.inbox_purged_at` / `archive_purged_at`: the job's originals (inbox/) or its archive copy
 *   were removed by retention while its row stays; a retry refuses such a job, a replay skips it.
 * - `jobs_finished_idx`: the purge takes batches of final jobs oldest end first, resuming after
 *   the last one it saw, so each run reads the table once at most.
 * - `purge_runs`: one row per run (or dry run), updated after every batch, so a run killed half
 *   way still shows what it removed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN inbox_purged_at timestamptz, ADD COLUMN archive_purged_at timestamptz`.execute(db);
  await sql`CREATE INDEX jobs_finished_idx ON jobs (finished_at, id) WHERE finished_at IS NOT NULL`.execute(db);
  await sql`
    CREATE TABLE purge_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      node text NOT NULL,
      trigger text NOT NULL CHECK (trigger IN ('schedule', 'pressure', 'manual')),
      dry_run boolean NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      outcome text CHECK (outcome IN ('done', 'stopped', 'failed')),
      error text,
      removed jsonb NOT NULL DEFAULT '[]'
    )`.execute(db);
  await sql`CREATE INDEX purge_runs_started_idx ON purge_runs (started_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE purge_runs`.execute(db);
  await sql`DROP INDEX jobs_finished_idx`.execute(db);
  await sql`ALTER TABLE jobs DROP COLUMN inbox_purged_at, DROP COLUMN archive_purged_at`.execute(db);
}
