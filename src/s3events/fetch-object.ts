import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { StagingFolder } from '../pipeline/staging/staging-folder.js';

/** What S3 says about the object version that was (or would be) read. */
export interface ObjectVersion {
  /** Unquoted. */
  readonly eTag?: string;
  readonly versionId?: string;
  readonly size?: number;
  readonly lastModified?: Date;
}

export interface FetchedObject extends ObjectVersion {
  readonly size: number;
  readonly stagedName: string;
}

export interface ObjectLocation {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly signal?: AbortSignal;
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
/** Whoever holds an S3Client has loaded the SDK already: this import only looks it up. */
const loadSdk = (): Promise<S3Sdk> => import('@aws-sdk/client-s3');

/** Generated names only; the extension helps people browsing inbox/ (modules sniff the content). */
const STAGED_NAME_BY_SUFFIX: ReadonlyArray<readonly [string, string]> = [
  ['.tar.gz', 'object.tar.gz'],
  ['.tgz', 'object.tgz'],
  ['.zip', 'object.zip'],
];
const DEFAULT_STAGED_NAME = 'object.bin';
/** How much of a key an error message quotes; keys may be up to 1,024 bytes. */
const MAX_QUOTED_KEY_CHARS = 200;

export function stagedObjectName(key: string): string {
  const lower = key.toLowerCase();
  return STAGED_NAME_BY_SUFFIX.find(([suffix]) => lower.endsWith(suffix))?.[1] ?? DEFAULT_STAGED_NAME;
}

/** HEAD: the current version's ETag, version id and size, before deciding what to fetch. */
export async function describeObject(location: ObjectLocation): Promise<ObjectVersion> {
  const sdk = await loadSdk();
  try {
    const head = await location.s3.send(new sdk.HeadObjectCommand({ Bucket: location.bucket, Key: location.key }), withSignal(location.signal));
    return versionOf(head);
  } catch (error) {
    throw s3Error(sdk, error, location);
  }
}

/**
 * Streams one object version into the incoming folder: pinned to `versionId` when the event
 * named one, otherwise to the event's ETag with `If-Match`, so a newer upload under the same key
 * is never staged in place of the one the event announced (S3 answers 412 → OBJECT_CHANGED).
 * The size limit applies before and while streaming; the byte count must equal Content-Length.
 * The caller's folder makes durable the file; nothing here is acknowledged.
 */
export async function fetchObjectInto(
  args: ObjectLocation & {
    readonly folder: StagingFolder;
    readonly versionId?: string;
    readonly eTag?: string;
    readonly maxBytes: number;
  },
): Promise<FetchedObject> {
  const where = describeLocation(args);
  const sdk = await loadSdk();
  let response;
  try {
    response = await args.s3.send(
      new sdk.GetObjectCommand({
        Bucket: args.bucket,
        Key: args.key,
        ...(args.versionId === undefined ? {} : { VersionId: args.versionId }),
        ...(args.versionId === undefined && args.eTag !== undefined ? { IfMatch: `"${args.eTag}"` } : {}),
      }),
      withSignal(args.signal),
    );
  } catch (error) {
    throw s3Error(sdk, error, args);
  }
  const body = response.Body as Readable | undefined;
  const version = versionOf(response);
  if (body === undefined) throw new IngestError('S3_EMPTY_RESPONSE', `S3 returned no body for ${where}`);
  if (response.ContentLength !== undefined && response.ContentLength > args.maxBytes) {
    body.destroy();
    throw tooLarge(where, response.ContentLength, args.maxBytes);
  }
  if (args.versionId === undefined && args.eTag !== undefined && version.eTag !== undefined && version.eTag !== args.eTag) {
    body.destroy();
    throw changed(where, `its ETag is ${version.eTag}, the event named ${args.eTag}`);
  }
  if (args.versionId !== undefined && version.versionId !== undefined && version.versionId !== args.versionId) {
    body.destroy();
    throw changed(where, `S3 returned version ${version.versionId} instead of ${args.versionId}`);
  }

  const stagedName = stagedObjectName(args.key);
  let staged;
  try {
    staged = await args.folder.writeFile({
      name: stagedName,
      source: body,
      maxBytes: args.maxBytes,
      originalName: fileNameOf(args.key),
      role: 'object',
      ...(response.ContentType === undefined ? {} : { contentType: response.ContentType }),
    });
  } catch (error) {
    body.destroy();
    if (error instanceof IngestError && error.code === 'ARRIVAL_TOO_LARGE') throw tooLarge(where, undefined, args.maxBytes);
    // Disk full, connection reset…: the system code says more than our wording would.
    if (typeof (error as { code?: unknown }).code === 'string') throw toIngestError(error);
    throw new IngestError('OBJECT_READ_FAILED', `reading ${where} failed part-way: ${(error as Error).message}`, { cause: error });
  }
  if (response.ContentLength !== undefined && staged.size !== response.ContentLength) {
    throw new IngestError('OBJECT_TRUNCATED', `${where}: received ${staged.size} bytes, Content-Length said ${response.ContentLength}`);
  }
  return { ...version, size: staged.size, stagedName };
}

function versionOf(output: {
  ETag?: string | undefined;
  VersionId?: string | undefined;
  ContentLength?: number | undefined;
  LastModified?: Date | undefined;
}): ObjectVersion {
  const eTag = output.ETag?.replace(/^"(.*)"$/, '$1');
  return {
    ...(eTag ? { eTag } : {}),
    ...(output.VersionId && output.VersionId !== 'null' ? { versionId: output.VersionId } : {}),
    ...(output.ContentLength === undefined ? {} : { size: output.ContentLength }),
    ...(output.LastModified === undefined ? {} : { lastModified: output.LastModified }),
  };
}

function withSignal(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function describeLocation(location: { readonly bucket: string; readonly key: string }): string {
  return `s3://${location.bucket}/${location.key.slice(0, MAX_QUOTED_KEY_CHARS)}`;
}

function tooLarge(where: string, size: number | undefined, limit: number): IngestError {
  const what = size === undefined ? 'is larger than' : `has ${size} bytes, more than`;
  return new IngestError('ARRIVAL_TOO_LARGE', `${where} ${what} the limit of ${limit} bytes (s3.maxObjectBytes)`, {
    details: { limitBytes: limit, ...(size === undefined ? {} : { sizeBytes: size }) },
  });
}

function changed(where: string, why: string): IngestError {
  return new IngestError('OBJECT_CHANGED', `${where} changed since the event: ${why}`);
}

/** S3's answers mapped once: missing, changed, refused (permanent) or unavailable (retry later). */
function s3Error(sdk: S3Sdk, error: unknown, location: { readonly bucket: string; readonly key: string }): IngestError {
  const where = describeLocation(location);
  if (error instanceof sdk.S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    if (error.name === 'NoSuchKey' || (error.name === 'NotFound' && status === 404)) {
      return new IngestError('OBJECT_MISSING', `${where} does not exist (deleted after the upload was announced?)`, { cause: error });
    }
    if (error.name === 'PreconditionFailed' || status === 412) return changed(where, 'S3 reports a different ETag (overwritten)');
    if (error.$fault === 'server' || status === 429 || status === 503 || error.name === 'SlowDown') {
      return new IngestError('S3_UNAVAILABLE', `S3 could not serve ${where} (${error.name}); will retry`, { cause: error });
    }
    const code = status === 403 ? 'S3_ACCESS_DENIED' : 'S3_REQUEST_REJECTED';
    return new IngestError(code, `S3 refused ${where}: ${error.name}${status === undefined ? '' : ` (HTTP ${status})`}`, {
      cause: error,
      details: { s3Error: error.name },
    });
  }
  if ((error as Error | undefined)?.name === 'AbortError') return new IngestError('S3_ABORTED', `reading ${where} was stopped (shutdown)`, { cause: error });
  return toIngestError(error);
}
