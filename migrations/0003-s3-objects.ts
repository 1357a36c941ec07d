import { sql, type Kysely } from 'kysely';

/**
 * What the S3 event path remembers per object (bucket + key): the newest event `sequencer` it
 * accepted, so an older event arriving late is recorded as stale instead of applied, and the
 * ETag/version its last job read, so the reconciler can tell objects no job has seen.
 * `last_job_id` has no foreign key: job retention must not be blocked by it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE s3_objects (
      bucket text NOT NULL,
      key text NOT NULL,
      sequencer text CHECK (sequencer ~ '^[0-9A-F]+$'),
      event_time timestamptz,
      e_tag text,
      version_id text,
      last_job_id uuid,
      stale_events integer NOT NULL DEFAULT 0,
      last_stale_sequencer text,
      last_stale_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (bucket, key)
    )`.execute(db);
  await sql`COMMENT ON COLUMN s3_objects.sequencer IS 'Newest S3 event sequencer accepted for this key (upper-case hex; compare right-padded with zeros)'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN s3_objects.e_tag IS 'ETag (unquoted) of the object version the last job read'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE s3_objects`.execute(db);
}
