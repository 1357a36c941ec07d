import { sql, type Kysely, type Transaction } from 'kysely';
import { FINAL_JOB_STATUSES, type Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Where the archive-upload scan stopped (the next scan starts after it, oldest end first). */
export interface ArchiveScanCursor {
  /** ISO 8601 with microseconds (a Date would drop them). */
  readonly finishedAt: string;
  readonly id: string;
}

/** A final job whose archive copy the upload task has not settled yet. */
export interface PendingArchive {
  readonly id: string;
  readonly customer: string;
  readonly relativePath: string;
  /** Exact to the microsecond: the row is recorded only while it still ended then (a retry ends it again). */
  readonly finishedAt: string;
  /** A verified copy of this very run is in the bucket already (a crash came before the local copy went). */
  readonly uploadedThisRun: boolean;
}

const FIRST_CURSOR: ArchiveScanCursor = { finishedAt: '1970-01-01T00:00:00.000000Z', id: '00000000-0000-0000-0000-000000000000' };
export const startOfArchiveScan = (): ArchiveScanCursor => FIRST_CURSOR;

/**
 * Session advisory lock of the upload task on `connection`: one runner per archive (the node's
 * own, or the shared one), so two instances never upload the same job. A killed process's
 * session ends and the lock with it.
 */
export async function tryTakeArchiveUploadLock(connection: Db, scope: string): Promise<boolean> {
  const { rows } = await sql<{
    locked: boolean;
  }>`SELECT pg_try_advisory_lock(hashtextextended(${`dataprocessor:archive-upload:${scope}`}, 0)) AS locked`.execute(connection);
  return rows[0]?.locked === true;
}

export async function releaseArchiveUploadLock(connection: Db, scope: string): Promise<void> {
  await sql`SELECT pg_advisory_unlock(hashtextextended(${`dataprocessor:archive-upload:${scope}`}, 0))`.execute(connection);
}

/** The next `limit` final jobs not settled since they last ended, oldest end first; `node` null = every node's. */
export async function scanPendingArchives(
  db: Db,
  args: { readonly after: ArchiveScanCursor; readonly limit: number; readonly node: string | null },
): Promise<PendingArchive[]> {
  const { rows } = await sql<{ id: string; customer: string; relative_path: string; finished: string; uploaded_this_run: boolean }>`
    SELECT id, customer, relative_path, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS finished,
      coalesce(archive_uploaded_at >= finished_at, false) AS uploaded_this_run
    FROM jobs
    WHERE finished_at IS NOT NULL AND archive_purged_at IS NULL AND (archive_settled_at IS NULL OR archive_settled_at < finished_at)
      AND status IN (${sql.join([...FINAL_JOB_STATUSES])})
      AND (finished_at, id) > (${args.after.finishedAt}::timestamptz, ${args.after.id}::uuid)
      ${args.node === null ? sql`` : sql`AND node = ${args.node}`}
    ORDER BY finished_at, id
    LIMIT ${args.limit}`.execute(db);
  return rows.map((row) => ({
    id: row.id,
    customer: row.customer,
    relativePath: row.relative_path,
    finishedAt: row.finished,
    uploadedThisRun: row.uploaded_this_run,
  }));
}

/**
 * Records a verified copy in the bucket, if the job is still as it was scanned: final, ended at
 * `finishedAt`, its archive not purged. `settled` also marks the job done (the local copy stays,
 * or there is none to remove). Otherwise says why not: `gone` (row deleted or archive purged
 * meanwhile: the objects just uploaded belong to nobody) or `changed` (retried: a later run
 * uploads again). The UPDATE waits for a purge holding the row, then re-checks it.
 */
export async function recordArchiveUpload(
  db: Db,
  args: {
    readonly id: string;
    readonly finishedAt: string;
    readonly bucket: string;
    readonly keyPrefix: string;
    readonly bytes: number;
    readonly objects: number;
    readonly settled: boolean;
  },
): Promise<'recorded' | 'gone' | 'changed'> {
  const result = await sql`
    UPDATE jobs SET archive_bucket = ${args.bucket}, archive_key_prefix = ${args.keyPrefix}, archive_object_bytes = ${args.bytes},
      archive_objects = ${args.objects}, archive_uploaded_at = now()${args.settled ? sql`, archive_settled_at = now()` : sql``}
    WHERE id = ${args.id} AND finished_at = ${args.finishedAt}::timestamptz AND archive_purged_at IS NULL
      AND status IN (${sql.join([...FINAL_JOB_STATUSES])})`.execute(db);
  if (Number(result.numAffectedRows ?? 0n) === 1) return 'recorded';
  const row = await db.selectFrom('jobs').select(['archive_purged_at']).where('id', '=', args.id).executeTakeFirst();
  return row === undefined || row.archive_purged_at !== null ? 'gone' : 'changed';
}

/** Marks the job's copy settled for the run that ended at `finishedAt` (a retried job stays pending). */
export async function markArchiveSettled(db: Db, args: { readonly id: string; readonly finishedAt: string }): Promise<void> {
  await sql`UPDATE jobs SET archive_settled_at = now() WHERE id = ${args.id} AND finished_at = ${args.finishedAt}::timestamptz`.execute(db);
}

/**
 * The key prefixes under which a customer's archive copies were uploaded (`<prefix><slug>/` per
 * bucket), read from its rows: what offboarding lists and deletes besides the configured one.
 */
export async function findCustomerArchivePrefixes(db: Db, slug: string): Promise<Array<{ bucket: string; prefix: string }>> {
  const { rows } = await sql<{ bucket: string; prefix: string }>`
    SELECT DISTINCT archive_bucket AS bucket,
      left(archive_key_prefix, length(archive_key_prefix) - length(relative_path) - 1) || split_part(relative_path, '/', 1) || '/' AS prefix
    FROM jobs
    WHERE customer = ${slug} AND archive_bucket IS NOT NULL
      AND right(archive_key_prefix, length(relative_path) + 1) = relative_path || '/'`.execute(db);
  return rows;
}
