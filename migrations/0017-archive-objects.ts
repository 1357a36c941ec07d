import { sql, type Kysely } from 'kysely';

/**
 * The archive's bucket tier (issue #13, `archive.s3`): a job's archive copy uploaded to a bucket,
 * verified, and only then (optionally) removed from `archive.root`.
 *
 * - `archive_bucket` / `archive_key_prefix` / `archive_object_bytes` / `archive_objects` /
 *   `archive_uploaded_at`: the verified copy in the bucket (all NULL while there is none). The
 *   bucket and prefix are recorded, not derived from config, so a later change of
 *   `archive.s3.bucket` or `prefix` still finds (and purges) the objects already there.
 * - `archive_settled_at`: when the upload task was last done with the job's copy (uploaded and the
 *   local copy removed, or nothing to upload). A job is pending while it is NULL or older than
 *   `finished_at` (a retried job made a new copy); the partial index keeps that scan short.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE jobs
      ADD COLUMN archive_bucket text,
      ADD COLUMN archive_key_prefix text,
      ADD COLUMN archive_object_bytes bigint,
      ADD COLUMN archive_objects integer,
      ADD COLUMN archive_uploaded_at timestamptz,
      ADD COLUMN archive_settled_at timestamptz`.execute(db);
  await sql`
    CREATE INDEX jobs_archive_pending_idx ON jobs (finished_at, id)
    WHERE finished_at IS NOT NULL AND archive_purged_at IS NULL AND (archive_settled_at IS NULL OR archive_settled_at < finished_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX jobs_archive_pending_idx`.execute(db);
  await sql`
    ALTER TABLE jobs
      DROP COLUMN archive_bucket, DROP COLUMN archive_key_prefix, DROP COLUMN archive_object_bytes,
      DROP COLUMN archive_objects, DROP COLUMN archive_uploaded_at, DROP COLUMN archive_settled_at`.execute(db);
}
