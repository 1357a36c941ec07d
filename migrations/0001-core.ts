import { sql, type Kysely } from 'kysely';

/** Customers, API keys, jobs and their timeline: everything the pipeline needs before any module. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE customers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
      name text NOT NULL,
      ingest_addresses text[] NOT NULL DEFAULT '{}',
      allowed_senders text[] NOT NULL DEFAULT '{}',
      s3_prefixes text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE api_keys (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      key_hash bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
      customer_id bigint REFERENCES customers(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('admin', 'customer')),
      label text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CHECK ((role = 'admin') = (customer_id IS NULL))
    )`.execute(db);

  await sql`
    CREATE TABLE jobs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL UNIQUE,
      source text NOT NULL,
      source_ref jsonb NOT NULL DEFAULT '{}',
      customer text NOT NULL,
      category text NOT NULL,
      type text NOT NULL,
      group_name text NOT NULL,
      status text NOT NULL CHECK (status IN ('staging','queued','running','succeeded','failed','cancelled','timed_out','unclassified','held')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      timeout_seconds integer NOT NULL,
      error_code text,
      error_message text,
      stats jsonb NOT NULL DEFAULT '{}',
      progress jsonb,
      relative_path text NOT NULL UNIQUE,
      staging_id text NOT NULL UNIQUE,
      manifest jsonb NOT NULL DEFAULT '{}',
      node text NOT NULL,
      received_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      run_after timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      deadline_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      cancel_requested_at timestamptz
    )`.execute(db);
  // The claim queries' indexes: only queued rows, oldest due first; per node when the data root is not shared.
  await sql`CREATE INDEX jobs_claim_idx ON jobs (run_after, received_at) WHERE status = 'queued'`.execute(db);
  await sql`CREATE INDEX jobs_claim_node_idx ON jobs (node, run_after, received_at) WHERE status = 'queued'`.execute(db);
  await sql`CREATE INDEX jobs_running_idx ON jobs (lease_expires_at) WHERE status = 'running'`.execute(db);
  await sql`CREATE INDEX jobs_staging_idx ON jobs (node, created_at) WHERE status = 'staging'`.execute(db);
  // Listing newest first, overall and per customer/status (the API's common filters).
  await sql`CREATE INDEX jobs_received_idx ON jobs (received_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX jobs_customer_status_received_idx ON jobs (customer, status, received_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX jobs_status_received_idx ON jobs (status, received_at DESC, id DESC)`.execute(db);

  await sql`
    CREATE TABLE job_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      kind text NOT NULL,
      status text,
      message text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}'
    )`.execute(db);
  await sql`CREATE INDEX job_events_job_idx ON job_events (job_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE job_events, jobs, api_keys, customers`.execute(db);
}
