import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, JobRow } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Fails a job that was just recorded as `unclassified` because its arrival can never run (the
 * announced S3 object is gone, or too large): the reason lands on the job and its timeline in one
 * statement. Fenced on `unclassified`, the one state no worker claims, so no run can start first.
 * Returns undefined when the job is no longer unclassified (someone acted on it already).
 */
export async function failUnclassifiedJob(
  db: Db,
  args: { readonly jobId: string; readonly code: string; readonly message: string },
): Promise<JobRow | undefined> {
  const result = await sql<JobRow>`
    WITH failed AS (
      UPDATE jobs SET status = 'failed', error_code = ${args.code}, error_message = ${args.message},
        finished_at = now(), updated_at = now()
      WHERE id = ${args.jobId} AND status = 'unclassified'
      RETURNING *
    ), logged AS (
      INSERT INTO job_events (job_id, kind, status, message, data)
      SELECT id, 'failed', 'failed', ${`${args.code}: ${args.message}`}, '{}'::jsonb FROM failed
    )
    SELECT * FROM failed`.execute(db);
  return result.rows[0];
}
