import { sql, type Kysely } from 'kysely';

/**
 * Alerting (issue #14; docs/alerts.md).
 *
 * - `alert_subscriptions`: who is told, global (customer NULL) or for one customer, by webhook
 *   (URL + HMAC secret) or mail, optionally only for some kinds of condition.
 * - `alert_conditions`: one row per condition (kind + key, e.g. `job_failed` +
 *   `bobs_burgers/hydrastor/system_report`) from the moment it starts until it clears. The partial
 *   unique index keeps one open row per key across instances: a second occurrence is counted into
 *   that row (`unreported`, the next digest), never a second notification.
 * - `alert_events`: every notification (opened, digest, resolved, test) with the exact body sent,
 *   so every retry signs the same bytes; `alert_deliveries`: the outbox, one row per event and
 *   subscription, claimed with SKIP LOCKED, retried with backoff, each attempt logged in
 *   `attempt_log`.
 * - `alert_job_events`: jobs that became failed, timed_out or unclassified, queued by a trigger in
 *   the transaction that changed the status. Every path that ends a job (worker, sweeper, lease
 *   expiry, failed arrivals, the mailhandler and CLI in their own processes) goes through an
 *   INSERT or UPDATE of `status`, so none of them needs to know about alerts, and a crash right
 *   after the commit loses nothing. Queued only while an enabled subscription exists: nobody
 *   listening, nothing to keep.
 *
 * Every table whose rows belong to a customer has a `customer` column (or `job_id`), so offboarding
 * (src/db/offboard-repository.ts) finds and removes them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE alert_subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer text REFERENCES customers(slug),
      channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
      url text,
      secret text,
      email text,
      kinds text[] NOT NULL DEFAULT '{}',
      description text NOT NULL DEFAULT '',
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((channel = 'webhook' AND url IS NOT NULL AND secret IS NOT NULL) OR (channel = 'email' AND email IS NOT NULL))
    )`.execute(db);
  await sql`COMMENT ON TABLE alert_subscriptions IS 'Who is notified of alert conditions: global (customer NULL) or one customer; kinds empty = every kind'`.execute(
    db,
  );

  await sql`
    CREATE TABLE alert_conditions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL,
      key text NOT NULL,
      customer text,
      scope jsonb NOT NULL DEFAULT '{}',
      details jsonb NOT NULL DEFAULT '{}',
      opened_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      occurrences bigint NOT NULL DEFAULT 1,
      unreported bigint NOT NULL DEFAULT 0,
      last_notified_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz
    )`.execute(db);
  await sql`COMMENT ON TABLE alert_conditions IS 'Alert conditions from start to clear: one open row per kind and key'`.execute(db);
  await sql`CREATE UNIQUE INDEX alert_conditions_open_key ON alert_conditions (kind, key) WHERE resolved_at IS NULL`.execute(db);
  await sql`CREATE INDEX alert_conditions_opened_idx ON alert_conditions (opened_at DESC, id DESC)`.execute(db);

  await sql`
    CREATE TABLE alert_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      condition_id bigint REFERENCES alert_conditions(id),
      kind text NOT NULL,
      key text NOT NULL,
      state text NOT NULL CHECK (state IN ('opened', 'digest', 'resolved', 'test')),
      customer text,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`COMMENT ON TABLE alert_events IS 'Notifications, with the exact JSON body every delivery of them sends and signs'`.execute(db);
  await sql`CREATE INDEX alert_events_created_idx ON alert_events (created_at)`.execute(db);
  await sql`CREATE INDEX alert_events_condition_idx ON alert_events (condition_id)`.execute(db);

  await sql`
    CREATE TABLE alert_deliveries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id uuid NOT NULL REFERENCES alert_events(id),
      subscription_id uuid NOT NULL REFERENCES alert_subscriptions(id) ON DELETE CASCADE,
      customer text,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_attempt_at timestamptz,
      last_status_code integer,
      last_error text,
      delivered_at timestamptz,
      attempt_log jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (event_id, subscription_id)
    )`.execute(db);
  await sql`COMMENT ON TABLE alert_deliveries IS 'Outbox: one row per notification and subscription; attempts logged in attempt_log'`.execute(db);
  // The claim walks only what is due; the console lists newest first.
  await sql`CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX alert_deliveries_created_idx ON alert_deliveries (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX alert_deliveries_subscription_idx ON alert_deliveries (subscription_id, created_at DESC)`.execute(db);

  await sql`
    CREATE TABLE alert_job_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      job_id uuid NOT NULL,
      status text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`COMMENT ON TABLE alert_job_events IS 'Jobs that became failed, timed_out or unclassified, waiting for the alert evaluator'`.execute(db);
  await sql`
    CREATE FUNCTION queue_job_alert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
        RETURN NULL;
      END IF;
      IF EXISTS (SELECT 1 FROM alert_subscriptions WHERE enabled) THEN
        INSERT INTO alert_job_events (job_id, status) VALUES (NEW.id, NEW.status);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER jobs_queue_alert AFTER INSERT OR UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status IN ('failed', 'timed_out', 'unclassified')) EXECUTE FUNCTION queue_job_alert()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER jobs_queue_alert ON jobs`.execute(db);
  await sql`DROP FUNCTION queue_job_alert()`.execute(db);
  await sql`DROP TABLE alert_job_events, alert_deliveries, alert_events, alert_conditions, alert_subscriptions`.execute(db);
}
