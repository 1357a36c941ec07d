import { sql, type Kysely } from 'kysely';

/**
 * Sources (issue #14): the last arrival per customer, module and group (a grid, a NetBackup
 * master), so "when did grid X last send its system report?" is one indexed row, not a scan of
 * millions of jobs, and survives the retention purge that deletes the jobs themselves (a grid
 * silent for longer than the job window must still show as silent, not vanish).
 *
 * Written in the statement that ends staging (src/db/jobs-repository.ts, finishStagingMany), so
 * every path that stages a classified arrival records it in the same commit. Unclassified
 * arrivals have no module yet and are not sources. Offboarding deletes the customer's rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sources (
      customer text NOT NULL,
      category text NOT NULL,
      type text NOT NULL,
      group_name text NOT NULL,
      first_received_at timestamptz NOT NULL,
      last_received_at timestamptz NOT NULL,
      last_job_id uuid NOT NULL,
      arrivals bigint NOT NULL DEFAULT 1,
      PRIMARY KEY (customer, category, type, group_name)
    )`.execute(db);
  await sql`COMMENT ON TABLE sources IS 'Last arrival per customer, module and group (grid): kept when retention deletes the jobs'`.execute(db);
  // The jobs already there, once: a source seen before this migration is not "never seen".
  await sql`
    INSERT INTO sources (customer, category, type, group_name, first_received_at, last_received_at, last_job_id, arrivals)
    SELECT DISTINCT ON (customer, category, type, group_name)
           customer, category, type, group_name,
           min(received_at) OVER w, received_at, id, count(*) OVER w
      FROM jobs
     WHERE status NOT IN ('staging', 'unclassified')
    WINDOW w AS (PARTITION BY customer, category, type, group_name)
     ORDER BY customer, category, type, group_name, received_at DESC, id DESC`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sources`.execute(db);
}
