import { sql, type Kysely } from 'kysely';

/**
 * What the operator API needs to stay fast at millions of jobs:
 *
 * - Free text over subject, sender, Message-ID and S3 key: one IMMUTABLE function builds the
 *   searchable text from the job's hints and source reference, and a trigram GIN index over it
 *   serves `ILIKE '%…%'`. An expression index (not a stored column) costs no table rewrite and
 *   keeps `SELECT *` small. pg_trgm is a trusted extension (PostgreSQL ≥ 13): the database owner
 *   may create it without superuser rights.
 * - Per-customer listing with several statuses at once: (customer, received_at, id) lets the
 *   newest-first keyset scan filter statuses without a sort.
 * - Per-type listing newest first (operators look at one module's jobs after a parser fix).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`
    CREATE FUNCTION job_search_text(source_ref jsonb, manifest jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(manifest->'hints'->>'subject', '') || ' ' ||
      coalesce(manifest->'hints'->>'from', '') || ' ' ||
      coalesce(source_ref->>'mailFrom', '') || ' ' ||
      coalesce(manifest->'hints'->>'messageId', '') || ' ' ||
      coalesce(source_ref->>'messageId', '') || ' ' ||
      coalesce(source_ref->>'key', '') || ' ' ||
      coalesce(manifest->'hints'->>'key', '') || ' ' ||
      coalesce(manifest->'hints'->>'fileName', '')
  `.execute(db);
  await sql`COMMENT ON FUNCTION job_search_text(jsonb, jsonb) IS 'Text searched by GET /api/1.0/jobs?q=: subject, sender, Message-ID, S3 key, file name'`.execute(
    db,
  );
  await sql`CREATE INDEX jobs_search_trgm_idx ON jobs USING gin (job_search_text(source_ref, manifest) gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX jobs_customer_received_idx ON jobs (customer, received_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX jobs_type_received_idx ON jobs (category, type, received_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX jobs_type_received_idx, jobs_customer_received_idx, jobs_search_trgm_idx`.execute(db);
  await sql`DROP FUNCTION job_search_text(jsonb, jsonb)`.execute(db);
}
