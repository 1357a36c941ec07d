import { sql, type ColumnType, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database-schema.js';

/** Kysely type of the table migration 0003-s3-objects creates (kept here: the core schema stays free of it). */
export interface S3ObjectsTable {
  bucket: string;
  key: string;
  sequencer: string | null;
  event_time: Date | null;
  e_tag: string | null;
  version_id: string | null;
  last_job_id: string | null;
  stale_events: ColumnType<number, number | undefined, number>;
  last_stale_sequencer: string | null;
  last_stale_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface S3ObjectRow {
  readonly bucket: string;
  readonly key: string;
  readonly sequencer: string | null;
  readonly eventTime: Date | null;
  readonly eTag: string | null;
  readonly versionId: string | null;
  readonly lastJobId: string | null;
  readonly staleEvents: number;
  readonly lastStaleSequencer: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

function objects(db: Db) {
  return db.withTables<{ s3_objects: S3ObjectsTable }>();
}

/**
 * `stale: false`: the event is the newest recorded for its key (now, or already: a redelivery of
 * it). `stale: true`: a newer event for the key was already accepted; `newest` is its sequencer.
 */
export type SequencerClaim = { readonly stale: false } | { readonly stale: true; readonly newest: string };

/**
 * Records `sequencer` as the newest event for bucket/key unless an equal or newer one is already
 * recorded. One conditional upsert, so two consumers racing on events for one key cannot both win.
 * Sequencers are upper-case hex compared after right-padding with zeros (AWS's rule: `…E5` equals
 * `…E500`), in the C collation so digits sort before letters whatever the database's locale.
 */
export async function claimObjectSequencer(
  db: Db,
  args: { readonly bucket: string; readonly key: string; readonly sequencer: string; readonly eventTime?: Date },
): Promise<SequencerClaim> {
  const sequencer = args.sequencer.toUpperCase();
  const claimed = await sql<{ sequencer: string }>`
    INSERT INTO s3_objects AS o (bucket, key, sequencer, event_time)
    VALUES (${args.bucket}, ${args.key}, ${sequencer}, ${args.eventTime ?? null})
    ON CONFLICT (bucket, key) DO UPDATE SET sequencer = EXCLUDED.sequencer, event_time = EXCLUDED.event_time, updated_at = now()
    WHERE o.sequencer IS NULL
      OR rpad(o.sequencer, greatest(length(o.sequencer), length(EXCLUDED.sequencer)), '0') COLLATE "C"
       < rpad(EXCLUDED.sequencer, greatest(length(o.sequencer), length(EXCLUDED.sequencer)), '0') COLLATE "C"
    RETURNING o.sequencer`.execute(db);
  if (claimed.rows.length > 0) return { stale: false };
  // Not claimed: the recorded one is equal (a redelivery) or newer (this event is stale).
  const current = await sql<{ sequencer: string | null; same: boolean | null }>`
    SELECT sequencer, rpad(sequencer, greatest(length(sequencer), length(${sequencer}::text)), '0')
      = rpad(${sequencer}::text, greatest(length(sequencer), length(${sequencer}::text)), '0') AS same
    FROM s3_objects WHERE bucket = ${args.bucket} AND key = ${args.key}`.execute(db);
  const row = current.rows[0];
  if (row === undefined || row.sequencer === null || row.same === true) return { stale: false };
  return { stale: true, newest: row.sequencer };
}

/** Counts an event that arrived after a newer one for the same key (it is not applied). */
export async function recordStaleEvent(db: Db, args: { readonly bucket: string; readonly key: string; readonly sequencer: string }): Promise<void> {
  await objects(db)
    .updateTable('s3_objects')
    .set({
      stale_events: sql<number>`stale_events + 1`,
      last_stale_sequencer: args.sequencer.toUpperCase(),
      last_stale_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('bucket', '=', args.bucket)
    .where('key', '=', args.key)
    .execute();
}

/** Remembers which object version a job read, so the reconciler knows the object was seen. */
export async function recordObjectJob(
  db: Db,
  args: { readonly bucket: string; readonly key: string; readonly eTag: string | null; readonly versionId: string | null; readonly jobId: string },
): Promise<void> {
  await objects(db)
    .insertInto('s3_objects')
    .values({
      bucket: args.bucket,
      key: args.key,
      sequencer: null,
      event_time: null,
      e_tag: args.eTag,
      version_id: args.versionId,
      last_job_id: args.jobId,
      last_stale_sequencer: null,
      last_stale_at: null,
    })
    .onConflict((conflict) =>
      conflict.columns(['bucket', 'key']).doUpdateSet({ e_tag: args.eTag, version_id: args.versionId, last_job_id: args.jobId, updated_at: sql<Date>`now()` }),
    )
    .execute();
}

/** The ETag last read for each of `keys` in `bucket` (keys never seen are absent). */
export async function findSeenETags(db: Db, args: { readonly bucket: string; readonly keys: readonly string[] }): Promise<Map<string, string | null>> {
  if (args.keys.length === 0) return new Map();
  const rows = await objects(db)
    .selectFrom('s3_objects')
    .select(['key', 'e_tag'])
    .where('bucket', '=', args.bucket)
    .where('key', 'in', [...args.keys])
    .where('last_job_id', 'is not', null)
    .execute();
  return new Map(rows.map((row) => [row.key, row.e_tag]));
}

export async function findS3Object(db: Db, args: { readonly bucket: string; readonly key: string }): Promise<S3ObjectRow | undefined> {
  const row = await objects(db).selectFrom('s3_objects').selectAll().where('bucket', '=', args.bucket).where('key', '=', args.key).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    bucket: row.bucket,
    key: row.key,
    sequencer: row.sequencer,
    eventTime: row.event_time,
    eTag: row.e_tag,
    versionId: row.version_id,
    lastJobId: row.last_job_id,
    staleEvents: row.stale_events,
    lastStaleSequencer: row.last_stale_sequencer,
  };
}
