import { sql, type Kysely } from 'kysely';

/**
 * What the Veritas2Hview module stores (formats spec §3): a NetBackup primary ("master") server's
 * jobs, images and storage configuration, and how its storage reaches HYDRAstor grids.
 *
 * Everything hangs off a master server, known by name within a customer; NetBackup's own names
 * (job id, backup id, storage unit label…) are unique per master. Every row names the job that
 * last changed it (`last_job_id`, no foreign key: job retention must not be blocked by it). Rows
 * are only rewritten when their content changes, so the same export twice writes nothing.
 *
 * Grid links are kept by grid serial number (and name), not by `hydrastor_grids.id`: an export
 * may arrive before the grid's first system report. The views join to the HYDRAstor tables of
 * migration 0002 at query time, so a link becomes visible as soon as either side arrives.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE veritas_grid_mappings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer text NOT NULL,
      storage_server text NOT NULL,
      grid_serial text NOT NULL,
      grid_name text,
      note text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Host names compare case-insensitively, as the correlation does.
  await sql`CREATE UNIQUE INDEX veritas_grid_mappings_key ON veritas_grid_mappings (customer, lower(storage_server))`.execute(db);
  await sql`COMMENT ON TABLE veritas_grid_mappings IS 'Storage server → grid links set through the API; used when an export has no hydrastor_map.csv entry for the server'`.execute(
    db,
  );

  await sql`
    CREATE TABLE veritas_master_servers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer text NOT NULL,
      name text NOT NULL,
      netbackup_version text,
      timezone text,
      last_export_at timestamptz,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX veritas_master_servers_key ON veritas_master_servers (customer, lower(name))`.execute(db);

  await sql`
    CREATE TABLE veritas_exports (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer text NOT NULL,
      master_server_id bigint NOT NULL REFERENCES veritas_master_servers(id) ON DELETE CASCADE,
      content_sha256 text NOT NULL,
      generated_at timestamptz,
      window_from timestamptz,
      window_to timestamptz,
      netbackup_version text,
      timezone text,
      files jsonb NOT NULL,
      jobs_read bigint NOT NULL,
      images_read bigint NOT NULL,
      issue_count integer NOT NULL,
      issues jsonb NOT NULL,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (customer, content_sha256)
    )`.execute(db);
  await sql`COMMENT ON COLUMN veritas_exports.content_sha256 IS 'SHA-256 over the export files'' kinds and digests: the same export as .zip or .tar.gz is one row'`.execute(
    db,
  );

  await sql`
    CREATE TABLE veritas_storage_servers (
      master_server_id bigint NOT NULL REFERENCES veritas_master_servers(id) ON DELETE CASCADE,
      name text NOT NULL,
      server_type text,
      is_hydrastor boolean NOT NULL,
      storage_type text,
      state text,
      flags text[] NOT NULL,
      attributes jsonb NOT NULL,
      grid_serial text,
      grid_name text,
      grid_link_method text CHECK (grid_link_method IN ('map_file', 'database', 's3_key')),
      link_outcome text NOT NULL,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, name)
    )`.execute(db);
  await sql`COMMENT ON COLUMN veritas_storage_servers.grid_link_method IS 'How the grid was found: map_file (hydrastor_map.csv), database (veritas_grid_mappings) or s3_key (the upload key''s grid segment, by name)'`.execute(
    db,
  );

  await sql`
    CREATE TABLE veritas_disk_pools (
      master_server_id bigint NOT NULL REFERENCES veritas_master_servers(id) ON DELETE CASCADE,
      name text NOT NULL,
      pool_id text,
      disk_type text,
      is_hydrastor boolean NOT NULL,
      status text,
      flags text[] NOT NULL,
      raw_size_bytes bigint,
      usable_size_bytes bigint,
      volume_count integer,
      high_watermark_percent integer,
      low_watermark_percent integer,
      max_io_streams integer,
      comment text,
      storage_server text,
      storage_server_state text,
      storage_servers text[] NOT NULL,
      attributes jsonb NOT NULL,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, name)
    )`.execute(db);

  await sql`
    CREATE TABLE veritas_disk_volumes (
      master_server_id bigint NOT NULL REFERENCES veritas_master_servers(id) ON DELETE CASCADE,
      disk_pool text NOT NULL,
      name text NOT NULL,
      disk_media_id text,
      disk_type text,
      is_hydrastor boolean NOT NULL,
      total_capacity_bytes bigint,
      free_space_bytes bigint,
      used_percent integer,
      status text,
      flags text[] NOT NULL,
      read_mounts integer,
      write_mounts integer,
      read_streams integer,
      write_streams integer,
      attributes jsonb NOT NULL,
      storage_server text,
      grid_serial text,
      grid_name text,
      grid_link_method text CHECK (grid_link_method IN ('map_file', 'database', 's3_key')),
      link_outcome text NOT NULL,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, disk_pool, name)
    )`.execute(db);
  await sql`COMMENT ON COLUMN veritas_disk_volumes.disk_pool IS 'Empty when the listing names no pool'`.execute(db);
  await sql`COMMENT ON COLUMN veritas_disk_volumes.name IS 'Disk Volume Name: for HYDRAstor the OST LSU, which is a file system (fs_name) of the grid'`.execute(
    db,
  );
  // bpimagelist fragments name their volume by Disk Media ID.
  await sql`CREATE INDEX veritas_disk_volumes_media_idx ON veritas_disk_volumes (master_server_id, disk_media_id)`.execute(db);

  await sql`
    CREATE TABLE veritas_storage_units (
      master_server_id bigint NOT NULL REFERENCES veritas_master_servers(id) ON DELETE CASCADE,
      label text NOT NULL,
      unit_type text,
      subtype text,
      host_connection text,
      concurrent_jobs integer,
      on_demand_only boolean,
      max_fragment_size_megabytes integer,
      disk_pool text,
      attributes jsonb NOT NULL,
      storage_server text,
      is_hydrastor boolean NOT NULL,
      grid_serial text,
      grid_name text,
      grid_link_method text CHECK (grid_link_method IN ('map_file', 'database', 's3_key')),
      link_outcome text NOT NULL,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, label)
    )`.execute(db);

  // The three large tables (millions of rows per master) carry no foreign keys: the per-row
  // check costs about 4 s per million rows loaded on a 2-core machine. Only this module writes
  // them, always with the master server id it upserted in the same transaction; removing a master
  // server means deleting its jobs, images and fragments explicitly.
  await sql`
    CREATE TABLE veritas_jobs (
      master_server_id bigint NOT NULL,
      job_id bigint NOT NULL,
      job_type integer,
      state smallint NOT NULL,
      status integer,
      policy text,
      schedule text,
      client text,
      media_server text,
      started_at timestamptz,
      elapsed_seconds bigint,
      ended_at timestamptz,
      storage_unit text,
      current_try integer,
      operation integer,
      bytes_written bigint,
      files_written bigint,
      path_last_written text,
      percent_complete integer,
      job_pid bigint,
      owner text,
      subtype integer,
      policy_type integer,
      schedule_type integer,
      priority integer,
      owner_group text,
      job_master_server text,
      retention_level integer,
      retention_period bigint,
      compression integer,
      bytes_to_be_written bigint,
      files_to_be_written bigint,
      file_list_count bigint,
      try_count integer,
      parent_job_id bigint,
      kilobytes_per_second numeric,
      copy_number integer,
      robot text,
      vault text,
      profile text,
      session text,
      eject_tapes text,
      source_storage_unit text,
      source_server text,
      source_media text,
      destination_media text,
      stream_number integer,
      suspendable integer,
      resumable integer,
      restartable integer,
      data_movement integer,
      snapshot integer,
      backup_id text,
      killable integer,
      controlling_host text,
      off_host_type integer,
      ft_usage integer,
      queue_reason integer,
      dedup_ratio numeric,
      accelerator integer,
      extra jsonb,
      grid_serial text,
      grid_name text,
      grid_link_method text CHECK (grid_link_method IN ('map_file', 'database', 's3_key')),
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, job_id)
    )`.execute(db);
  await sql`COMMENT ON COLUMN veritas_jobs.state IS '0 queued, 1 active, 2 re-queued, 3 done, 4 suspended, 5 incomplete; a done job is never set back'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN veritas_jobs.grid_serial IS 'Grid the job wrote to (stunit → storage unit → disk pool → HYDRAstor storage server → grid), as resolved when the job was last written'`.execute(
    db,
  );
  await sql`CREATE INDEX veritas_jobs_grid_idx ON veritas_jobs (grid_serial, started_at) WHERE grid_serial IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE veritas_images (
      master_server_id bigint NOT NULL,
      backup_id text NOT NULL,
      client text NOT NULL,
      image_version integer,
      policy text,
      client_type integer,
      proxy_client text,
      creator text,
      schedule_label text,
      schedule_type integer,
      retention_level integer,
      backup_time timestamptz,
      elapsed_seconds bigint,
      expires_at timestamptz,
      compression integer,
      encryption integer,
      size_bytes bigint,
      files bigint,
      copies integer,
      fragment_count integer,
      primary_copy integer,
      image_type integer,
      keyword text,
      job_id bigint,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, backup_id)
    )`.execute(db);
  await sql`COMMENT ON COLUMN veritas_images.job_id IS 'The NetBackup job that wrote the image (veritas_jobs.job_id)'`.execute(db);

  await sql`
    CREATE TABLE veritas_image_fragments (
      master_server_id bigint NOT NULL,
      backup_id text NOT NULL,
      copy_number integer NOT NULL,
      fragment_number integer NOT NULL,
      size_bytes bigint,
      media_type integer,
      density integer,
      file_number bigint,
      media_id text,
      host text,
      block_size bigint,
      file_offset bigint,
      media_date timestamptz,
      device_written_on integer,
      flags integer,
      media_descriptor text,
      expires_at timestamptz,
      multiplexed integer,
      retention_level integer,
      last_job_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (master_server_id, backup_id, copy_number, fragment_number)
    )`.execute(db);
  await sql`COMMENT ON TABLE veritas_image_fragments IS 'Fragments of veritas_images (same master_server_id, backup_id); an image''s list is replaced by each export that lists the image'`.execute(
    db,
  );
  await sql`COMMENT ON COLUMN veritas_image_fragments.media_id IS 'For disk storage the Disk Media ID of the volume (veritas_disk_volumes.disk_media_id)'`.execute(
    db,
  );

  // A disk volume (OST LSU) of a HYDRAstor storage server is a file system of the linked grid:
  // same grid (by serial, or by name for a key-only link) and fs_name = LSU.
  await sql`
    CREATE VIEW veritas_disk_volume_filesystems AS
    SELECT
      volume.master_server_id, master.customer, volume.disk_pool, volume.name AS lsu, volume.disk_media_id,
      volume.grid_serial, volume.grid_name, volume.grid_link_method,
      'lsu_name'::text AS filesystem_link_method,
      grid.id AS grid_id, filesystem.fs_name, filesystem.fs_name IS NOT NULL AS filesystem_found
    FROM veritas_disk_volumes volume
    JOIN veritas_master_servers master ON master.id = volume.master_server_id
    LEFT JOIN hydrastor_grids grid ON grid.customer = master.customer
      AND (grid.serial_number = volume.grid_serial OR (volume.grid_serial IS NULL AND grid.name = volume.grid_name))
    LEFT JOIN hydrastor_filesystems filesystem ON filesystem.grid_id = grid.id AND filesystem.fs_name = volume.name
    WHERE volume.is_hydrastor`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP VIEW veritas_disk_volume_filesystems`.execute(db);
  await sql`
    DROP TABLE veritas_image_fragments, veritas_images, veritas_jobs, veritas_storage_units, veritas_disk_volumes,
      veritas_disk_pools, veritas_storage_servers, veritas_exports, veritas_master_servers, veritas_grid_mappings`.execute(db);
}
