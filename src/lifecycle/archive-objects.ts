import type { ArchiveS3Settings } from '../config/retention-schema.js';
import type { RecordedArchiveObjects } from '../db/retention-repository.js';

/** Where one job's archive copy sits in a bucket, as its row records it. */
export interface ArchiveObjectLocation {
  readonly bucket: string;
  /** `<prefix><relative_path>/`: every object of the job starts with it. */
  readonly keyPrefix: string;
}

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

/**
 * The few bucket operations the archive tier needs (an interface, so the lifecycle code never
 * imports the AWS SDK itself: `openArchiveObjects` loads it only when `archive.s3` is set).
 */
export interface ArchiveObjects {
  /** The bucket new copies go to (`archive.s3.bucket`); older rows may name another. */
  readonly bucket: string;
  /** Uploads one file as `key` in a single PUT, streamed; resolves with the SHA-256 (hex) of the bytes sent. */
  put(args: { readonly key: string; readonly file: string; readonly size: number; readonly signal?: AbortSignal }): Promise<string>;
  /** Reads the object back in full: its SHA-256 (hex) and size. */
  readBack(args: { readonly bucket: string; readonly key: string; readonly signal?: AbortSignal }): Promise<{ readonly sha256: string; readonly size: number }>;
  /** Every object under `prefix` (all pages). */
  list(args: { readonly bucket: string; readonly prefix: string }): Promise<StoredObject[]>;
  /** Deletes the keys (batches of 1000); keys already gone are no error. */
  remove(args: { readonly bucket: string; readonly keys: readonly string[] }): Promise<void>;
  destroy(): void;
}

/** The bucket tier's client, the SDK loaded on first use (a service without `archive.s3` never loads it for this). */
export async function openArchiveObjects(settings: ArchiveS3Settings): Promise<ArchiveObjects> {
  const { createS3ArchiveObjects } = await import('./s3-archive-objects.js');
  return createS3ArchiveObjects(settings);
}

/**
 * Runs `work` with a client for one operation (a purge run, an offboarding), destroyed after; with
 * `archive.s3` unset, `work` gets undefined.
 */
export async function withArchiveObjects<T>(settings: ArchiveS3Settings | null, work: (objects: ArchiveObjects | undefined) => Promise<T>): Promise<T> {
  if (settings === null) return work(undefined);
  const objects = await openArchiveObjects(settings);
  try {
    return await work(objects);
  } finally {
    objects.destroy();
  }
}

/** Removes every object of a job's copy; returns what was there. Idempotent (an empty prefix removes nothing). */
export async function removeArchiveObjects(
  objects: ArchiveObjects,
  location: ArchiveObjectLocation,
  dryRun = false,
): Promise<{ count: number; bytes: number }> {
  const found = await objects.list({ bucket: location.bucket, prefix: location.keyPrefix });
  if (!dryRun && found.length > 0) await objects.remove({ bucket: location.bucket, keys: found.map((object) => object.key) });
  return { count: found.length, bytes: found.reduce((sum, object) => sum + object.size, 0) };
}

/**
 * Whether the bucket still holds the whole copy the row recorded: as many objects and bytes.
 * One listing instead of a HEAD per object, and it also notices an object removed by hand.
 */
export async function archiveObjectsPresent(
  objects: ArchiveObjects,
  recorded: ArchiveObjectLocation & { readonly count: number; readonly bytes: number },
): Promise<boolean> {
  const found = await objects.list({ bucket: recorded.bucket, prefix: recorded.keyPrefix });
  return found.length === recorded.count && found.reduce((sum, object) => sum + object.size, 0) === recorded.bytes;
}

/**
 * Removes (dry: measures) the bucket copy a job's row records; 0 bytes when it has none or its
 * archive is purged already. Null when it has one but `archive.s3` is not configured: the caller
 * leaves that job alone rather than lose track of objects it cannot reach.
 */
export async function removeRecordedArchiveObjects(
  objects: ArchiveObjects | undefined,
  job: { readonly archivePurged: boolean; readonly archiveObjects: RecordedArchiveObjects | null },
  dryRun = false,
): Promise<number | null> {
  if (job.archivePurged || job.archiveObjects === null) return 0;
  if (objects === undefined) return null;
  return (await removeArchiveObjects(objects, job.archiveObjects, dryRun)).bytes;
}
