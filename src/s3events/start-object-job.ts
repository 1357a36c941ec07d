import type { RefusedArrival } from '../core/refused-arrival.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../logging/logging.js';
import type { AcceptResult } from '../pipeline/accept.js';
import type { ObjectArrival, ObjectArrivals, ObjectVersionRead } from '../pipeline/arrivals/object-arrivals.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import { describeObject, fetchObjectInto, type FetchedObject, type ObjectVersion } from './fetch-object.js';
import { routeObject, type S3Route } from './route-object.js';

export interface ObjectJobDeps {
  /** Made on first use (src/s3events/s3-client.ts): the SDK loads only when an object is read. */
  readonly s3: () => Promise<S3Client>;
  readonly routes: readonly S3Route[];
  readonly maxObjectBytes: number;
  readonly logger: Logger;
  /** The pipeline's door for objects, and the object bookkeeping behind it. */
  readonly objects: ObjectArrivals;
  /** Records an event refused for good (unroutable, unknown or disabled customer): refused_arrivals. */
  readonly refused?: (refusal: RefusedArrival) => void;
}

export interface ObjectJobRequest {
  readonly source: 's3' | 'webhook' | 'api' | 'reconcile';
  readonly bucket: string;
  /** Decoded: the key exactly as stored. */
  readonly key: string;
  readonly versionId?: string;
  /** Unquoted. */
  readonly eTag?: string;
  readonly size?: number;
  readonly sequencer?: string;
  readonly eventTime?: Date;
  readonly eventName?: string;
  /** HEAD first to learn the version (REST trigger, reconciler: no event named one). */
  readonly lookUpVersion?: boolean;
  /** Replaces the object's own idempotency key (the REST trigger's Idempotency-Key header). */
  readonly idempotencyKey?: string;
  readonly sourceRef?: Readonly<Record<string, unknown>>;
  /**
   * `background` (notifications, reconciler; nobody waits for an answer): a missing or oversized
   * object becomes a failed job, and a version overwritten since its event is skipped, since the
   * newer write has its own event. `interactive` (REST trigger): those errors are the answer.
   */
  readonly mode: 'background' | 'interactive';
  readonly signal?: AbortSignal;
}

type JobRow = AcceptResult['job'];

export type ObjectJobOutcome =
  | { readonly kind: 'created' | 'duplicate'; readonly job: JobRow }
  | { readonly kind: 'failed'; readonly job: JobRow; readonly code: string }
  | { readonly kind: 'stale'; readonly newestSequencer: string }
  | { readonly kind: 'superseded'; readonly reason: string };

/** Failures of the object itself: retrying the same event cannot help. */
const UNFETCHABLE_CODES = new Set(['OBJECT_MISSING', 'ARRIVAL_TOO_LARGE']);
const NOTE_NAME_BY_CODE: Readonly<Record<string, string>> = { OBJECT_MISSING: 'object-missing.json', ARRIVAL_TOO_LARGE: 'object-too-large.json' };

/**
 * The idempotency key of an uploaded object: bucket + key + (versionId, else ETag). The same
 * upload announced three times, or announced and triggered over REST, is one job.
 */
export function objectIdempotencyKey(object: { readonly bucket: string; readonly key: string } & ObjectVersion): string {
  if (object.versionId !== undefined) return `s3:${object.bucket}/${object.key}?versionId=${object.versionId}`;
  if (object.eTag !== undefined) return `s3:${object.bucket}/${object.key}?etag=${object.eTag}`;
  throw new IngestError('OBJECT_UNIDENTIFIED', `s3://${object.bucket}/${object.key} has neither a version id nor an ETag`, { transient: true });
}

/**
 * Turns one announced (or requested) object into a job: route it, drop it if a newer event for
 * the key was already accepted, otherwise stream the object into inbox/ through the pipeline's
 * door (which returns the existing job for a duplicate without a download). Resolves only once
 * the job is committed, so the caller may acknowledge (delete the SQS message, answer 2xx).
 * Rejects with an IngestError otherwise.
 */
export async function startObjectJob(deps: ObjectJobDeps, request: ObjectJobRequest): Promise<ObjectJobOutcome> {
  const { bucket, key } = request;
  const logger = deps.logger.child({ bucket, key, source: request.source });
  const routed = routeObject({ bucket, key, routes: deps.routes });

  if (request.sequencer !== undefined) {
    const claim = await deps.objects.claimEvent({
      bucket,
      key,
      sequencer: request.sequencer,
      ...(request.eventTime === undefined ? {} : { eventTime: request.eventTime }),
    });
    if (claim.stale) {
      logger.info('stale event recorded, not applied: a newer event for this key was already accepted', { sequencer: request.sequencer, newest: claim.newest });
      return { kind: 'stale', newestSequencer: claim.newest };
    }
  }

  let version: ObjectVersion = {
    ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
    ...(request.eTag === undefined ? {} : { eTag: request.eTag }),
    ...(request.size === undefined ? {} : { size: request.size }),
  };
  const arrivalFor = (idempotencyKey: string, versionRead: () => ObjectVersionRead): Omit<ObjectArrival, 'writeFiles'> => ({
    source: request.source,
    customer: routed.customer,
    moduleKey: `${routed.category}/${routed.type}`,
    group: routed.group,
    hints: { bucket, key, fileName: routed.fileName },
    idempotencyKey,
    sourceRef: {
      bucket,
      key,
      ...version,
      ...(request.sequencer === undefined ? {} : { sequencer: request.sequencer }),
      ...(request.eventTime === undefined ? {} : { eventTime: request.eventTime.toISOString() }),
      ...(request.eventName === undefined ? {} : { eventName: request.eventName }),
      ...request.sourceRef,
    },
    object: { bucket, key, versionRead },
  });
  // The object itself is the problem: in the background, a failed arrival (a note says why)
  // through the same door, under its own key so it never stands in for a later good read.
  const unfetchable = async (error: IngestError, idempotencyKey: string): Promise<ObjectJobOutcome> => {
    if (request.mode === 'interactive' || !UNFETCHABLE_CODES.has(error.code)) throw error;
    const note = { bucket, key, ...version, code: error.code, reason: error.message, at: new Date().toISOString() };
    const { job } = await deps.objects.accept({
      ...arrivalFor(`${idempotencyKey}#unfetchable`, () => version),
      failure: error,
      writeFiles: async (folder) => {
        await folder.writeFile({
          name: NOTE_NAME_BY_CODE[error.code] ?? 'object-unfetchable.json',
          source: `${JSON.stringify(note, null, 2)}\n`,
          role: 'note',
          contentType: 'application/json',
        });
      },
    });
    return { kind: 'failed', job, code: error.code };
  };

  if (request.lookUpVersion === true || (version.versionId === undefined && version.eTag === undefined)) {
    try {
      version = await describeObject({ s3: await deps.s3(), bucket, key, ...(request.signal === undefined ? {} : { signal: request.signal }) });
    } catch (error) {
      return unfetchable(toIngestError(error), request.idempotencyKey ?? `s3:${bucket}/${key}`);
    }
  }
  const idempotencyKey = request.idempotencyKey ?? objectIdempotencyKey({ bucket, key, ...version });
  let fetched: FetchedObject | undefined;
  let result: AcceptResult;
  try {
    result = await deps.objects.accept({
      ...arrivalFor(idempotencyKey, () => fetched ?? version),
      writeFiles: async (folder) => {
        // Checked here, after the door looked for an existing job: an object already read is a
        // duplicate whatever its size. Refused before a byte is downloaded.
        if (version.size !== undefined && version.size > deps.maxObjectBytes) {
          throw new IngestError(
            'ARRIVAL_TOO_LARGE',
            `s3://${bucket}/${key} has ${version.size} bytes, more than the limit of ${deps.maxObjectBytes} bytes (s3.maxObjectBytes)`,
            { expose: true },
          );
        }
        fetched = await fetchObjectInto({
          s3: await deps.s3(),
          folder,
          bucket,
          key,
          maxBytes: deps.maxObjectBytes,
          ...(version.versionId === undefined ? {} : { versionId: version.versionId }),
          ...(version.eTag === undefined ? {} : { eTag: version.eTag }),
          ...(request.signal === undefined ? {} : { signal: request.signal }),
        });
        return {
          ...(fetched.eTag === undefined ? {} : { eTag: fetched.eTag }),
          ...(fetched.versionId === undefined ? {} : { versionId: fetched.versionId }),
          size: String(fetched.size),
        };
      },
    });
  } catch (error) {
    const ingestError = toIngestError(error);
    if (ingestError.code === 'OBJECT_CHANGED' && request.mode === 'background') {
      logger.info('object overwritten since its event: skipped, the newer upload has its own event', { reason: ingestError.message });
      return { kind: 'superseded', reason: ingestError.message };
    }
    return unfetchable(ingestError, idempotencyKey);
  }
  return { kind: result.duplicate ? 'duplicate' : 'created', job: result.job };
}
