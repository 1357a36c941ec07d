import { sql, type Kysely } from 'kysely';

/**
 * What the HYDRAstor mail modules store (formats spec §1 and §2). A grid is known by its serial
 * number within a customer (grids get renamed); everything else hangs off the grid's id. Every
 * row names the job that last wrote it (`last_job_id`, no foreign key: job retention must not be
 * blocked by it), and columns the parsers do not know land in `extra`.
 *
 * Grid-wide events have no node: `node_name` is NULL, and unique keys read it as '-' (the spec's
 * own notation) through an expression, which works on every PostgreSQL version we run on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE hydrastor_grids (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer text NOT NULL,
      serial_number text NOT NULL,
      name text NOT NULL,
      previous_names text[] NOT NULL DEFAULT '{}',
      model text,
      software_version text,
      overall_status text,
      resiliency_level integer,
      timezone text,
      extra jsonb NOT NULL DEFAULT '{}',
      last_report_time timestamptz,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (customer, serial_number)
    )`.execute(db);
  await sql`COMMENT ON COLUMN hydrastor_grids.timezone IS 'IANA zone from the latest system report; used for alert times without an offset'`.execute(db);
  await sql`COMMENT ON COLUMN hydrastor_grids.last_report_time IS 'Report time of the newest system report seen (last seen); NULL while only alerts were seen'`.execute(
    db,
  );

  await sql`
    CREATE TABLE hydrastor_nodes (
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      node_name text NOT NULL,
      node_type text,
      status text,
      serial_number text,
      model text,
      software_version text,
      ip_address text,
      disks_total integer,
      disks_ok integer,
      cpu_status text,
      psu_status text,
      fan_status text,
      extra jsonb NOT NULL DEFAULT '{}',
      first_report_time timestamptz NOT NULL,
      last_report_time timestamptz NOT NULL,
      last_job_id uuid NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (grid_id, node_name)
    )`.execute(db);

  await sql`
    CREATE TABLE hydrastor_capacity_snapshots (
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      report_time timestamptz NOT NULL,
      measured_at timestamptz NOT NULL,
      physical_total_bytes bigint,
      physical_used_bytes bigint,
      physical_free_bytes bigint,
      logical_used_bytes bigint,
      dedupe_ratio numeric,
      source text NOT NULL CHECK (source IN ('attachment', 'body')),
      extra jsonb NOT NULL DEFAULT '{}',
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (grid_id, report_time)
    )`.execute(db);

  await sql`
    CREATE TABLE hydrastor_filesystems (
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      fs_name text NOT NULL,
      protocol text,
      state text,
      logical_used_bytes bigint,
      physical_used_bytes bigint,
      dedupe_ratio numeric,
      quota_bytes bigint,
      extra jsonb NOT NULL DEFAULT '{}',
      first_report_time timestamptz NOT NULL,
      last_report_time timestamptz NOT NULL,
      last_job_id uuid NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (grid_id, fs_name)
    )`.execute(db);
  // NetBackup disk volumes (OST LSUs) are matched to file systems by name.
  await sql`CREATE INDEX hydrastor_filesystems_name_idx ON hydrastor_filesystems (fs_name)`.execute(db);

  await sql`
    CREATE TABLE hydrastor_replications (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      source_fs text NOT NULL,
      target_system text,
      target_fs text,
      target_serial text,
      state text,
      last_sync_time timestamptz,
      backlog_bytes bigint,
      extra jsonb NOT NULL DEFAULT '{}',
      first_report_time timestamptz NOT NULL,
      last_report_time timestamptz NOT NULL,
      last_job_id uuid NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // By target name: a body-only report names the target system but not its serial.
  await sql`
    CREATE UNIQUE INDEX hydrastor_replications_key
      ON hydrastor_replications (grid_id, source_fs, (coalesce(target_system, target_serial, '')), (coalesce(target_fs, '')))
  `.execute(db);

  await sql`
    CREATE TABLE hydrastor_active_alerts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      event_id text NOT NULL,
      node_name text,
      occurred_at timestamptz NOT NULL,
      severity text CHECK (severity IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL')),
      component text,
      message text,
      extra jsonb NOT NULL DEFAULT '{}',
      first_report_time timestamptz NOT NULL,
      last_report_time timestamptz NOT NULL,
      last_job_id uuid NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX hydrastor_active_alerts_key
      ON hydrastor_active_alerts (grid_id, event_id, (coalesce(node_name, '-')), occurred_at)
  `.execute(db);
  await sql`COMMENT ON TABLE hydrastor_active_alerts IS 'Alerts listed as active by system reports; still active when last_report_time equals the grid''s'`.execute(
    db,
  );

  await sql`
    CREATE TABLE hydrastor_alerts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      grid_id bigint NOT NULL REFERENCES hydrastor_grids(id) ON DELETE CASCADE,
      event_id text NOT NULL,
      node_name text,
      occurred_at timestamptz NOT NULL,
      severity text NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL')),
      event_type text NOT NULL CHECK (event_type IN ('Occurred', 'Recovered')),
      component text,
      message text,
      recommended_action text,
      clears_event_id text,
      cleared_at timestamptz,
      cleared_by_alert_id bigint REFERENCES hydrastor_alerts(id) ON DELETE SET NULL,
      occurred_at_zone_assumed text,
      extra jsonb NOT NULL DEFAULT '{}',
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (event_type = 'Occurred' OR cleared_at IS NULL)
    )`.execute(db);
  // The spec's dedupe key: (serial, event id, node, occurred-at); the grid stands for the serial.
  await sql`
    CREATE UNIQUE INDEX hydrastor_alerts_key
      ON hydrastor_alerts (grid_id, event_id, (coalesce(node_name, '-')), occurred_at)
  `.execute(db);
  // A Recovered mail that came before its alert waits here until the alert arrives.
  await sql`
    CREATE INDEX hydrastor_alerts_recovered_idx
      ON hydrastor_alerts (grid_id, clears_event_id, (coalesce(node_name, '-')), occurred_at)
      WHERE event_type = 'Recovered'
  `.execute(db);
  await sql`CREATE INDEX hydrastor_alerts_open_idx ON hydrastor_alerts (grid_id, occurred_at DESC) WHERE event_type = 'Occurred' AND cleared_at IS NULL`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN hydrastor_alerts.occurred_at_zone_assumed IS 'Set when the mail''s Date/Time had no UTC offset: the zone it was read in (the grid''s, or UTC)'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN hydrastor_alerts.cleared_by_alert_id IS 'The Recovered row (same grid, node, Clears Event ID) that closed this alert: the earliest one at or after occurred_at'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE hydrastor_alerts, hydrastor_active_alerts, hydrastor_replications, hydrastor_filesystems,
      hydrastor_capacity_snapshots, hydrastor_nodes, hydrastor_grids
  `.execute(db);
}
