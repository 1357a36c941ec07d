import { failUnclassifiedJob } from '../../db/failed-arrival-repository.js';
import { toIngestError, type IngestError } from '../../core/ingest-error.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { AcceptResult } from './record-staged-folder.js';

/**
 * The last step of an arrival that can never run (an announced S3 object that is gone, or too
 * large; see `Arrival.failure`): its job, just recorded like any other, becomes `failed` with the
 * reason, so it shows in the job list like any other failure and a redelivery finds it by
 * idempotency key.
 *
 * Such a job is recorded `unclassified` first, the one state no worker claims, then failed: it can
 * never run in between. A crash in between leaves it `unclassified` with its note saying why, and
 * the next redelivery (a duplicate, still unclassified) finishes the transition here.
 */
export async function recordFailedArrival(deps: PipelineDeps, args: { readonly recorded: AcceptResult; readonly failure: IngestError }): Promise<AcceptResult> {
  const { recorded, failure } = args;
  if (recorded.job.status !== 'unclassified') return recorded;
  const failed = await failUnclassifiedJob(deps.db, { jobId: recorded.job.id, code: failure.code, message: failure.message }).catch((cause: unknown) => {
    throw toIngestError(cause);
  });
  deps.logger.warn('arrival recorded as a failed job', { jobId: recorded.job.id, code: failure.code, reason: failure.message });
  return { job: failed ?? recorded.job, duplicate: recorded.duplicate };
}
