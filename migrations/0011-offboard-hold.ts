import { sql, type Kysely } from 'kysely';

/**
 * Offboarding and holds (issue #13).
 *
 * - `customers.disabled_at`: a disabled customer keeps its data but gets no new arrivals (SMTP
 *   550 5.2.1, uploads 403) and its API keys are refused; NULL = enabled. Nullable, no default:
 *   adding it rewrites nothing.
 * - `holds`: an operator's "keep these arrivals, do not process them yet", by customer, module
 *   (category/type) and group; a NULL field matches anything, and at least one must be set.
 * - A trigger turns a job that becomes `queued` into `held` while a hold matches it. Every path
 *   that queues a job (staging done, spool drain, recovery, retry, lease expiry) goes through
 *   an INSERT or UPDATE of `status`, so none of them has to know about holds, and the claim
 *   query stays as cheap as before (held rows are outside its partial index). The trigger takes
 *   KEY SHARE on the matching holds: a release (DELETE of the hold, then UPDATE of its held
 *   jobs) waits for a job being queued under that hold to commit, so no job is left held by a
 *   hold that is gone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE customers ADD COLUMN disabled_at timestamptz`.execute(db);
  await sql`COMMENT ON COLUMN customers.disabled_at IS 'Set while the customer is disabled: arrivals refused, API keys refused, data kept'`.execute(db);

  await sql`
    CREATE TABLE holds (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer text,
      category text,
      type text,
      group_name text,
      reason text NOT NULL DEFAULT '',
      created_by text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (customer IS NOT NULL OR category IS NOT NULL OR type IS NOT NULL OR group_name IS NOT NULL)
    )`.execute(db);
  await sql`COMMENT ON TABLE holds IS 'Operator holds: matching jobs become held instead of queued until the hold is released (deleted)'`.execute(db);

  await sql`
    CREATE FUNCTION hold_queued_job() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM 1 FROM holds
        WHERE (customer IS NULL OR customer = NEW.customer)
          AND (category IS NULL OR category = NEW.category)
          AND (type IS NULL OR type = NEW.type)
          AND (group_name IS NULL OR group_name = NEW.group_name)
        FOR KEY SHARE;
      IF FOUND THEN
        NEW.status := 'held';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER jobs_hold_queued BEFORE INSERT OR UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION hold_queued_job()`.execute(db);
  // Released jobs are found by status and the hold's fields; few rows are ever held.
  await sql`CREATE INDEX jobs_held_idx ON jobs (customer, received_at) WHERE status = 'held'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX jobs_held_idx`.execute(db);
  await sql`DROP TRIGGER jobs_hold_queued ON jobs`.execute(db);
  await sql`DROP FUNCTION hold_queued_job()`.execute(db);
  await sql`DROP TABLE holds`.execute(db);
  await sql`ALTER TABLE customers DROP COLUMN disabled_at`.execute(db);
}
