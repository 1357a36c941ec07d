import { sql, type Kysely } from 'kysely';

/** The tables whose rows hold one export's view of a NetBackup object. */
const OBSERVED_TABLES = [
  'veritas_storage_servers',
  'veritas_disk_pools',
  'veritas_disk_volumes',
  'veritas_storage_units',
  'veritas_jobs',
  'veritas_images',
  'veritas_image_fragments',
] as const;

/** The tables whose rows hold a system report's "current" view of a grid and its parts. */
const REPORTED_TABLES = ['hydrastor_grids', 'hydrastor_nodes', 'hydrastor_filesystems', 'hydrastor_replications', 'hydrastor_active_alerts'] as const;

/**
 * The newest observation wins (issue #11, item 9): every Veritas2Hview row records when the export
 * it came from was generated (`observed_at`), and a merge updates a row only from an export at
 * least as new, so an older export loaded late fills missing rows and never overwrites newer
 * ones. NULL means "unknown" (rows written before this migration, exports without any date) and
 * counts as older than any known time. The export record says where its time came from.
 *
 * System report rows already keep the newest report's values by report time; between two reads
 * of the same report (same time), the attachment's exact values must beat the body's rounded ones
 * (formats spec §1), so each row records which part of the report its values came from.
 *
 * Nullable columns without a default: adding them rewrites nothing, whatever the table size.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of OBSERVED_TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN observed_at timestamptz`.execute(db);
    await sql
      .raw(
        `COMMENT ON COLUMN ${table}.observed_at IS 'Generation time of the export whose values the row holds (manifest generatedAt, else estimated from the jobs); NULL = unknown, older than any known time'`,
      )
      .execute(db);
  }
  await sql`
    ALTER TABLE veritas_exports
      ADD COLUMN observed_at timestamptz,
      ADD COLUMN observed_from text CHECK (observed_from IN ('manifest', 'job_times', 'load_time'))`.execute(db);
  await sql`COMMENT ON COLUMN veritas_exports.observed_at IS 'The time this export''s rows carry as observed_at: its generation time as far as it can be told'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN veritas_exports.observed_from IS 'manifest (generatedAt), job_times (no manifest: the newest job time at the start and end of bpdbjobs), load_time (the time given lay in the future); NULL when undated'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN veritas_master_servers.last_export_at IS 'observed_at of the newest export loaded for this master server'`.execute(db);
  await sql`COMMENT ON TABLE veritas_image_fragments IS 'Fragments of veritas_images (same master_server_id, backup_id); an image''s list is replaced by each export that lists the image, unless the image or one of its fragments comes from a newer export'`.execute(
    db,
  );

  for (const table of REPORTED_TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN report_source text CHECK (report_source IN ('attachment', 'body'))`.execute(db);
    await sql
      .raw(
        `COMMENT ON COLUMN ${table}.report_source IS 'Part of the report (last_report_time) the values came from; at the same report time the attachment wins over the body. NULL before a report was read (rows from alerts, or older rows)'`,
      )
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of REPORTED_TABLES) await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN report_source`.execute(db);
  await sql`ALTER TABLE veritas_exports DROP COLUMN observed_from, DROP COLUMN observed_at`.execute(db);
  for (const table of OBSERVED_TABLES) await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN observed_at`.execute(db);
}
