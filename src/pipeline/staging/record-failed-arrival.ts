import { findCustomerBySlug } from '../../db/customers-repository.js';
import { failUnclassifiedJob } from '../../db/failed-arrival-repository.js';
import type { Arrival } from '../accept.js';
import { IngestError, toIngestError } from '../../core/ingest-error.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { recordStagedFolder, type AcceptResult } from './record-staged-folder.js';
import { IncomingFolder } from './stage.js';
import type { StagedManifest } from './staged-manifest.js';

export interface FailedArrival extends Arrival {
  readonly moduleKey: string;
  readonly idempotencyKey: string;
}

/**
 * Records an arrival that can never run (an announced S3 object that is gone, or too large) as a
 * `failed` job with the reason, so it shows in the job list like any other failure and a
 * redelivery finds it by idempotency key. `writeFiles` stages a small note as the original;
 * inbox rules hold as for any arrival (written once, fsynced before the row is committed).
 *
 * The job is recorded `unclassified` first, the one state no worker claims, then failed: it can
 * never run in between. A crash in between leaves it `unclassified` with the note saying why, and
 * the next redelivery finishes the transition.
 */
export async function recordFailedArrival(deps: PipelineDeps, args: { readonly arrival: FailedArrival; readonly error: IngestError }): Promise<AcceptResult> {
  const { arrival, error } = args;
  const customer = await findCustomerBySlug(deps.db, arrival.customer).catch((cause: unknown) => { throw toIngestError(cause); });
  if (customer === undefined) throw new IngestError('CUSTOMER_UNKNOWN', `no customer "${arrival.customer}"`);
  const [category = '', type = ''] = arrival.moduleKey.split('/');

  const folder = await IncomingFolder.create(deps.config.dataRoot).catch((cause: unknown) => { throw toIngestError(cause); });
  let recorded: AcceptResult;
  try {
    await arrival.writeFiles(folder);
    const manifest: StagedManifest = {
      manifestVersion: 1,
      stagingId: folder.id,
      idempotencyKey: arrival.idempotencyKey,
      source: arrival.source,
      sourceRef: { ...arrival.sourceRef, failure: { code: error.code, message: error.message } },
      hints: { ...arrival.hints },
      customer: arrival.customer,
      category,
      type,
      group: arrival.group ?? 'none',
      classified: false,
      receivedAt: (arrival.receivedAt ?? new Date()).toISOString(),
      node: deps.config.node.name,
      files: [...folder.files],
    };
    await folder.complete(manifest);
    recorded = await recordStagedFolder(deps, { incomingDir: folder.dir, manifest, message: `received via ${arrival.source}; cannot run: ${error.code}` });
  } catch (cause) {
    await folder.discard().catch(() => undefined);
    throw toIngestError(cause);
  }
  if (recorded.job.status !== 'unclassified') return recorded;
  const failed = await failUnclassifiedJob(deps.db, { jobId: recorded.job.id, code: error.code, message: error.message })
    .catch((cause: unknown) => { throw toIngestError(cause); });
  deps.logger.warn('arrival recorded as a failed job', { jobId: recorded.job.id, code: error.code, reason: error.message });
  return { job: failed ?? recorded.job, duplicate: recorded.duplicate };
}
