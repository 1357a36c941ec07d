import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type StorageClass } from '@aws-sdk/client-s3';
import type { ArchiveS3Settings } from '../config/retention-schema.js';
import type { ArchiveObjects, StoredObject } from './archive-objects.js';

const MAX_REQUEST_ATTEMPTS = 4;
const CONNECT_TIMEOUT_MS = 10_000;
/** A request whose socket stays idle this long is abandoned (and the job retried next interval). */
const IDLE_TIMEOUT_MS = 120_000;
/** S3's limit for one PUT; larger files would need a multipart upload, which this tier does not do. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * The archive tier on the AWS SDK. Its own client (not src/s3events' one): another bucket, maybe
 * another endpoint and region; credentials, as there, only from the SDK's default chain.
 */
export function createS3ArchiveObjects(settings: ArchiveS3Settings): ArchiveObjects {
  const client = new S3Client({
    ...(settings.endpoint === null ? {} : { endpoint: settings.endpoint }),
    ...(settings.region === null ? {} : { region: settings.region }),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: MAX_REQUEST_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS },
  });
  return {
    bucket: settings.bucket,
    async put({ key, file, size, signal }) {
      if (size > MAX_SINGLE_PUT_BYTES) throw new Error(`${file} is ${size} bytes, over the ${MAX_SINGLE_PUT_BYTES} bytes of one PUT: it stays local`);
      const hash = createHash('sha256');
      // Hashed as it is sent: the digest is of exactly the bytes the bucket received, read once.
      const body = createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        }),
      );
      await client.send(
        new PutObjectCommand({
          Bucket: settings.bucket,
          Key: key,
          Body: body,
          ContentLength: size,
          ...(settings.storageClass === null ? {} : { StorageClass: settings.storageClass as StorageClass }),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return hash.digest('hex');
    },
    async readBack({ bucket, key, signal }) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal === undefined ? {} : { abortSignal: signal });
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(answer.Body as Readable, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.byteLength;
        }
      });
      return { sha256: hash.digest('hex'), size };
    },
    async list({ bucket, prefix }) {
      const found: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) found.push({ key: object.Key, size: object.Size ?? 0 });
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return found;
    },
    async remove({ bucket, keys }) {
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        const answer = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = answer.Errors ?? [];
        if (failed.length > 0)
          throw new Error(`could not delete ${failed.length} object(s) in ${bucket}, e.g. ${failed[0]?.Key ?? '?'}: ${failed[0]?.Code ?? ''}`);
      }
    },
    destroy() {
      client.destroy();
    },
  };
}
