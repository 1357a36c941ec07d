import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { JobRow } from '../../src/db/database-schema.js';
import type { ArchiveObjects } from '../../src/lifecycle/archive-objects.js';
import type { S3Emulator } from '../support/s3-test-env.js';
import { RETENTION_SERVICE_OPTIONS } from './retention-fixture.js';

export const ARCHIVE_BUCKET = 'archive-tier';
export const ARCHIVE_PREFIX = 'tier/';

/** The retention test service with the bucket tier on fauxqs; the task's own schedule is an hour away, tests run it. */
export function archiveTierServiceOptions(s3: S3Emulator, extra: Record<string, unknown> = {}) {
  return {
    ...RETENTION_SERVICE_OPTIONS,
    overrides: {
      ...RETENTION_SERVICE_OPTIONS.overrides,
      archive: { root: null, s3: { bucket: ARCHIVE_BUCKET, prefix: ARCHIVE_PREFIX, ...s3.settings(), intervalSeconds: 3600, ...extra } },
    },
  };
}

/** The objects under a prefix, as the bucket holds them: key → content. */
export async function objectsUnder(s3: S3Emulator, prefix: string): Promise<Map<string, Buffer>> {
  const listed = await s3.s3.send(new ListObjectsV2Command({ Bucket: ARCHIVE_BUCKET, Prefix: prefix }));
  const found = new Map<string, Buffer>();
  for (const object of listed.Contents ?? []) {
    const body = await s3.s3.send(new GetObjectCommand({ Bucket: ARCHIVE_BUCKET, Key: object.Key }));
    found.set(object.Key ?? '', Buffer.from(await body.Body!.transformToByteArray()));
  }
  return found;
}

export function jobPrefix(job: JobRow): string {
  return `${ARCHIVE_PREFIX}${job.relative_path}/`;
}

export async function deleteUnder(s3: S3Emulator, prefix: string): Promise<void> {
  const keys = [...(await objectsUnder(s3, prefix)).keys()];
  if (keys.length > 0) await s3.s3.send(new DeleteObjectsCommand({ Bucket: ARCHIVE_BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
}

/** A real client that counts its PUTs (and can run a hook after each: another writer, say). */
export function countingObjects(objects: ArchiveObjects, afterPut?: (key: string) => Promise<void>): ArchiveObjects & { readonly puts: string[] } {
  const puts: string[] = [];
  return {
    ...objects,
    bucket: objects.bucket,
    puts,
    async put(args) {
      puts.push(args.key);
      const sent = await objects.put(args);
      await afterPut?.(args.key);
      return sent;
    },
  };
}
