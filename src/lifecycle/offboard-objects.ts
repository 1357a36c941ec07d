import type { Kysely } from 'kysely';
import type { ArchiveS3Settings } from '../config/retention-schema.js';
import { findCustomerArchivePrefixes } from '../db/archive-objects-repository.js';
import type { Database } from '../db/database-schema.js';
import { sanitizeSegment } from '../pipeline/paths.js';
import { removeArchiveObjects, withArchiveObjects } from './archive-objects.js';
import type { FileCount } from './offboard-files.js';

export interface CustomerArchivePrefix {
  readonly bucket: string;
  readonly prefix: string;
}

/**
 * Where a customer's archive copies may sit in the bucket tier: `<prefix><slug>/` in the
 * configured bucket, and whatever bucket and prefix its rows recorded (the settings may have
 * changed since). Read before the rows go: afterwards only the configured one is known.
 */
export async function customerArchivePrefixes(db: Kysely<Database>, settings: ArchiveS3Settings | null, slug: string): Promise<CustomerArchivePrefix[]> {
  if (settings === null) return [];
  const found = [{ bucket: settings.bucket, prefix: `${settings.prefix}${sanitizeSegment(slug)}/` }, ...(await findCustomerArchivePrefixes(db, slug))];
  return found.filter((entry, index) => found.findIndex((other) => other.bucket === entry.bucket && other.prefix === entry.prefix) === index);
}

/** Lists (dry) or deletes every object under the prefixes; returns what was there. */
export async function removeCustomerArchiveObjects(
  settings: ArchiveS3Settings | null,
  prefixes: readonly CustomerArchivePrefix[],
  dryRun: boolean,
): Promise<FileCount> {
  return withArchiveObjects(settings, async (objects) => {
    let files = 0;
    let bytes = 0;
    if (objects === undefined) return { files, bytes };
    for (const { bucket, prefix } of prefixes) {
      const removed = await removeArchiveObjects(objects, { bucket, keyPrefix: prefix }, dryRun);
      files += removed.count;
      bytes += removed.bytes;
    }
    return { files, bytes };
  });
}

/** `files.archive` with the bucket's objects added: the archive counted wherever it is. */
export function withBucketObjects<T extends { readonly archive: FileCount }>(files: T, objects: FileCount): T {
  return { ...files, archive: { files: files.archive.files + objects.files, bytes: files.archive.bytes + objects.bytes } };
}
