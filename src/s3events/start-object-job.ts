import type { S3Client } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import type { Database, JobRow } from '../db/database-schema.js';
import { findJobByIdempotencyKey } from '../db/jobs-repository.js';
import { claimObjectSequencer, recordObjectJob, recordStaleEvent } from '../db/s3-objects-repository.js';
import type { Logger } from '../logging/logging.js';
import type { AcceptResult, Arrival } from '../pipeline/accept.js';
import { IngestError, toIngestError } from '../core/ingest-error.js';
import type { FailedArrival } from '../pipeline/staging/record-failed-arrival.js';
import { compareSequencers } from './compare-sequencers.js';
import { describeObject, fetchObjectInto, type FetchedObject, type ObjectVersion } from './fetch-object.js';
import { routeObject, type S3Route } from './route-object.js';

export interface ObjectJobDeps {
  readonly db: Kysely<Database>;
  readonly s3: S3Client;
  readonly routes: readonly S3Route[];
  readonly maxObjectBytes: number;
  readonly logger: Logger;
  /** The pipeline's entry (acceptArrival). */
  readonly accept: (arrival: Arrival) => Promise<AcceptResult>;
  /** Records an arrival that can never run as a failed job (recordFailedArrival). */
  readonly recordFailed: (arrival: FailedArrival, error: IngestError) => Promise<AcceptResult>;
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

export type ObjectJobOutcome =
  | { readonly kind: 'created' | 'duplicate'; readonly job: JobRow }
  | { readonly kind: 'failed'; readonly job: JobRow; readonly code: string }
  | { readonly kind: 'stale'; readonly newestSequencer: string }
  | { readonly kind: 'superseded'; readonly reason: string };

/** Failures of the object itself: retrying the same event cannot help. */
const UNFETCHABLE_CODES = new Set(['OBJECT_MISSING', 'ARRIVAL_TOO_LARGE']);
const NOTE_NAME_BY_CODE: Readonly<Record<string, string>> = { OBJECT_MISSING: 'object-missing.json', ARRIVAL_TOO_LARGE: 'object-too-large.json' };
/** How long a duplicate waits for the first copy's staging to finish before asking for a retry. */
const STAGING_WAIT_MS = 3000;
const STAGING_POLL_MS = 100;

/**
 * The idempotency key of an uploaded object: bucket + key + (versionId, else ETag). The same
 * upload announced three times, or announced and triggered over REST, is one job.
 */
export function objectIdempotencyKey(object: { readonly bucket: string; readonly key: string } & ObjectVersion): string {
  if (object.versionId !== undefined) return `s3:${object.bucket}/${object.key}?versionId=${object.versionId}`;
  if (object.eTag !== undefined) return `s3:${object.bucket}/${object.key}?etag=${object.eTag}`;
  throw new IngestError('OBJECT_UNIDENTIFIED', `s3://${object.bucket}/${object.key} has neither a version id nor an ETag`);
}

/**
 * Turns one announced (or requested) object into a job: route it, drop it if a newer event for
 * the key was already accepted, return the existing job for a duplicate, otherwise stream the
 * object into inbox/ through the pipeline. Resolves only once the job is committed, so the caller
 * may acknowledge (delete the SQS message, answer 2xx). Rejects with an IngestError otherwise.
 */
export async function startObjectJob(deps: ObjectJobDeps, request: ObjectJobRequest): Promise<ObjectJobOutcome> {
  const { bucket, key } = request;
  const logger = deps.logger.child({ bucket, key, source: request.source });
  const routed = routeObject({ bucket, key, routes: deps.routes });

  if (request.sequencer !== undefined) {
    const claim = await claimObjectSequencer(deps.db, { bucket, key, sequencer: request.sequencer, ...(request.eventTime === undefined ? {} : { eventTime: request.eventTime }) })
      .catch((error: unknown) => { throw toIngestError(error); });
    if (!claim.claimed && claim.newest !== null && compareSequencers(claim.newest, request.sequencer) > 0) {
      await recordStaleEvent(deps.db, { bucket, key, sequencer: request.sequencer }).catch((error: unknown) => { throw toIngestError(error); });
      logger.info('stale event recorded, not applied: a newer event for this key was already accepted', { sequencer: request.sequencer, newest: claim.newest });
      return { kind: 'stale', newestSequencer: claim.newest };
    }
  }

  let version: ObjectVersion = {
    ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
    ...(request.eTag === undefined ? {} : { eTag: request.eTag }),
    ...(request.size === undefined ? {} : { size: request.size }),
  };
  const arrival = {
    source: request.source,
    customer: routed.customer,
    moduleKey: `${routed.category}/${routed.type}`,
    group: routed.group,
    hints: { bucket, key, fileName: routed.fileName },
  } as const;
  const sourceRefFor = (current: ObjectVersion): Record<string, unknown> => ({
    bucket, key, ...current,
    ...(request.sequencer === undefined ? {} : { sequencer: request.sequencer }),
    ...(request.eventTime === undefined ? {} : { eventTime: request.eventTime.toISOString() }),
    ...(request.eventName === undefined ? {} : { eventName: request.eventName }),
    ...request.sourceRef,
  });
  const unfetchable = async (error: IngestError, idempotencyKey: string): Promise<ObjectJobOutcome> => {
    if (request.mode === 'interactive' || !UNFETCHABLE_CODES.has(error.code)) throw error;
    const note = { bucket, key, ...version, code: error.code, reason: error.message, at: new Date().toISOString() };
    const { job } = await deps.recordFailed({
      ...arrival,
      idempotencyKey: `${idempotencyKey}#unfetchable`,
      sourceRef: sourceRefFor(version),
      writeFiles: async (folder) => { await folder.writeFile({ name: NOTE_NAME_BY_CODE[error.code] ?? 'object-unfetchable.json', source: `${JSON.stringify(note, null, 2)}\n`, role: 'note', contentType: 'application/json' }); },
    }, error);
    await recordObjectJob(deps.db, { bucket, key, eTag: version.eTag ?? null, versionId: version.versionId ?? null, jobId: job.id }).catch((cause: unknown) => { throw toIngestError(cause); });
    return { kind: 'failed', job, code: error.code };
  };

  if (request.lookUpVersion === true || (version.versionId === undefined && version.eTag === undefined)) {
    try {
      version = await describeObject({ s3: deps.s3, bucket, key, ...(request.signal === undefined ? {} : { signal: request.signal }) });
    } catch (error) {
      return unfetchable(toIngestError(error), request.idempotencyKey ?? `s3:${bucket}/${key}`);
    }
  }
  const idempotencyKey = request.idempotencyKey ?? objectIdempotencyKey({ bucket, key, ...version });
  const existing = await settledJob(deps.db, idempotencyKey);
  if (existing !== undefined) return { kind: 'duplicate', job: existing };
  if (version.size !== undefined && version.size > deps.maxObjectBytes) {
    const error = new IngestError('ARRIVAL_TOO_LARGE', `s3://${bucket}/${key} has ${version.size} bytes, more than the limit of ${deps.maxObjectBytes} bytes (s3.maxObjectBytes)`);
    return unfetchable(error, idempotencyKey);
  }

  let fetched: FetchedObject | undefined;
  let result: AcceptResult;
  try {
    result = await deps.accept({
      ...arrival,
      idempotencyKey,
      sourceRef: sourceRefFor(version),
      writeFiles: async (folder) => {
        fetched = await fetchObjectInto({
          s3: deps.s3, folder, bucket, key, maxBytes: deps.maxObjectBytes,
          ...(version.versionId === undefined ? {} : { versionId: version.versionId }),
          ...(version.eTag === undefined ? {} : { eTag: version.eTag }),
          ...(request.signal === undefined ? {} : { signal: request.signal }),
        });
        return { ...(fetched.eTag === undefined ? {} : { eTag: fetched.eTag }), ...(fetched.versionId === undefined ? {} : { versionId: fetched.versionId }), size: String(fetched.size) };
      },
    });
  } catch (error) {
    const ingestError = toIngestError(error);
    if (ingestError.code === 'ARRIVAL_IN_PROGRESS') {
      const settled = await settledJob(deps.db, idempotencyKey);
      if (settled !== undefined) return { kind: 'duplicate', job: settled };
    }
    if (ingestError.code === 'OBJECT_CHANGED' && request.mode === 'background') {
      logger.info('object overwritten since its event: skipped, the newer upload has its own event', { reason: ingestError.message });
      return { kind: 'superseded', reason: ingestError.message };
    }
    return unfetchable(ingestError, idempotencyKey);
  }
  const seen = fetched ?? version;
  await recordObjectJob(deps.db, { bucket, key, eTag: seen.eTag ?? null, versionId: seen.versionId ?? null, jobId: result.job.id })
    .catch((error: unknown) => { throw toIngestError(error); });
  return { kind: result.duplicate ? 'duplicate' : 'created', job: result.job };
}

/**
 * The job recorded under `idempotencyKey`, waiting briefly while another consumer is still
 * staging it (a concurrent duplicate). Undefined when there is none; ARRIVAL_IN_PROGRESS (retry
 * later) when the first copy is still not committed after the wait.
 */
async function settledJob(db: Kysely<Database>, idempotencyKey: string): Promise<JobRow | undefined> {
  const deadline = Date.now() + STAGING_WAIT_MS;
  for (;;) {
    const job = await findJobByIdempotencyKey(db, idempotencyKey).catch((error: unknown) => { throw toIngestError(error); });
    if (job === undefined || job.status !== 'staging') return job;
    if (Date.now() > deadline) throw new IngestError('ARRIVAL_IN_PROGRESS', 'the same object is being stored right now; try again shortly');
    await new Promise((resolve) => setTimeout(resolve, STAGING_POLL_MS));
  }
}
