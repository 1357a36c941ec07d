import { sql, type Kysely } from 'kysely';

/**
 * Refused arrivals (issue #14): SMTP refusals and S3 events that could not be routed, which
 * never became jobs, so "why didn't grid X's mail arrive?" has an answer without grepping logs.
 * Bounded: rows older than `refused.keepDays` are deleted by the recorder (src/pipeline/refusal-recorder.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE refused_arrivals (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      node text NOT NULL,
      source text NOT NULL,
      stage text NOT NULL,
      code text NOT NULL,
      message text NOT NULL,
      reply text NOT NULL,
      customer text,
      sender text,
      recipients text[] NOT NULL DEFAULT '{}',
      size_bytes bigint,
      client_address text,
      client_name text,
      details jsonb NOT NULL DEFAULT '{}'
    )`.execute(db);
  await sql`COMMENT ON TABLE refused_arrivals IS 'Arrivals refused before they became jobs (SMTP replies, unroutable S3 events); kept refused.keepDays'`.execute(
    db,
  );
  await sql`CREATE INDEX refused_arrivals_at_idx ON refused_arrivals (at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX refused_arrivals_customer_idx ON refused_arrivals (customer, at DESC, id DESC) WHERE customer IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE refused_arrivals`.execute(db);
}
