import type { JobRow } from '../../db/database-schema.js';
import { findJobByIdempotencyKey } from '../../db/jobs-repository.js';
import { recordObjectJob } from '../../db/s3-objects-repository.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import type { AcceptResult, Arrival } from '../accept.js';
import type { PipelineDeps } from '../pipeline-deps.js';

/** The object version staged (or, for a failed arrival, the one announced). */
export interface ObjectVersionRead {
  readonly eTag?: string;
  readonly versionId?: string;
}

/** An arrival read from an object store: one object version, under its own idempotency key. */
export interface ObjectArrival extends Arrival {
  readonly idempotencyKey: string;
  readonly object: {
    readonly bucket: string;
    readonly key: string;
    /** The version whose bytes were staged; asked once writeFiles has run (S3 may name it only then). */
    versionRead(): ObjectVersionRead;
  };
}

/** How long a duplicate waits for the first copy's staging to finish before asking for a retry. */
const STAGING_WAIT_MS = 3000;
const STAGING_POLL_MS = 100;

/**
 * The door for one object: the same `accept` as every arrival, plus the object's bookkeeping.
 *
 * An object may be announced many times (SQS redelivers, the reconciler and the REST trigger name
 * it too). The job already made under its key is returned without touching the object store, so a
 * redelivery costs one query, not a download, and an object deleted since it was read does not
 * become a failure. Otherwise the unique index decides, as for any arrival; a copy still being
 * staged by another consumer is waited for briefly. Once the job is committed, the version read
 * is remembered against the key, so the reconciler knows the object was seen.
 */
export async function acceptObjectArrival(
  deps: Pick<PipelineDeps, 'db'> & { readonly accept: (arrival: Arrival) => Promise<AcceptResult> },
  arrival: ObjectArrival,
): Promise<AcceptResult> {
  // A failed arrival reads nothing from the store: it goes straight to the door, and a crash
  // between its job and its bookkeeping is finished by the next redelivery.
  if (arrival.failure === undefined) {
    const existing = await settledJob(deps, arrival.idempotencyKey);
    if (existing !== undefined) return { job: existing, duplicate: true };
  }
  let result: AcceptResult;
  try {
    result = await deps.accept(arrival);
  } catch (error) {
    const failure = toIngestError(error);
    if (failure.code !== 'ARRIVAL_IN_PROGRESS') throw failure;
    const settled = await settledJob(deps, arrival.idempotencyKey);
    if (settled === undefined) throw failure;
    return { job: settled, duplicate: true };
  }
  const { bucket, key } = arrival.object;
  const version = arrival.object.versionRead();
  await recordObjectJob(deps.db, { bucket, key, eTag: version.eTag ?? null, versionId: version.versionId ?? null, jobId: result.job.id }).catch(
    (error: unknown) => {
      throw toIngestError(error);
    },
  );
  return result;
}

/**
 * The job recorded under `idempotencyKey`, waiting briefly while another consumer is still
 * staging it (a concurrent duplicate). Undefined when there is none; ARRIVAL_IN_PROGRESS (retry
 * later) when the first copy is still not committed after the wait.
 */
async function settledJob(deps: Pick<PipelineDeps, 'db'>, idempotencyKey: string): Promise<JobRow | undefined> {
  const deadline = Date.now() + STAGING_WAIT_MS;
  for (;;) {
    const job = await findJobByIdempotencyKey(deps.db, idempotencyKey).catch((error: unknown) => {
      throw toIngestError(error);
    });
    if (job === undefined || job.status !== 'staging') return job;
    if (Date.now() > deadline)
      throw new IngestError('ARRIVAL_IN_PROGRESS', 'the same object is being stored right now; try again shortly', { transient: true, expose: true });
    await new Promise((resolve) => setTimeout(resolve, STAGING_POLL_MS));
  }
}
