import { rm } from 'node:fs/promises';
import { deleteStagingJob } from '../../db/jobs-repository.js';
import { IngestError } from '../../core/ingest-error.js';
import { insertStagingRows } from './insert-staging-rows.js';
import { areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { AcceptResult } from './accept-result.js';
import { answerDuplicate } from './answer-duplicate.js';
import { queueStagedJobs } from './queue-staged-jobs.js';
import { readStagedManifest, type StagedManifest } from './staged-manifest.js';
import { publishIncoming } from './stage.js';

export type { AcceptResult };

/**
 * The commit point of an arrival. The folder is already complete and fsynced under
 * `inbox/.incoming/`; this reserves the job's real folder name with a `staging` row, moves the
 * folder there durably, and only then makes the job visible (`queued` or `unclassified`). The
 * caller may acknowledge the arrival once this resolves, never before.
 */
export async function recordStagedFolder(
  deps: PipelineDeps,
  args: { readonly incomingDir: string; readonly manifest: StagedManifest; readonly message: string },
): Promise<AcceptResult> {
  const { manifest } = args;
  const [inserted] = await insertStagingRows(deps, [{ manifest }]);
  if (inserted === undefined) throw new Error('no staging row was inserted');

  if (inserted.duplicate) {
    await rm(args.incomingDir, { recursive: true, force: true });
    const answer = answerDuplicate(inserted.job);
    deps.logger.info('duplicate arrival: returning the existing job', { jobId: inserted.job.id, idempotencyKey: manifest.idempotencyKey });
    return answer;
  }

  const { job } = inserted;
  try {
    await publishIncoming({ dataRoot: deps.config.dataRoot, incomingDir: args.incomingDir, relativePath: job.relative_path });
  } catch (error) {
    // If the folder did reach its place, keep the row: recovery finishes it (and the client's
    // retry then finds the job). Otherwise the arrival never became durable: forget it.
    const published = await readStagedManifest(areaPath(deps.config.dataRoot, 'inbox', job.relative_path));
    if (published === undefined) await deleteStagingJob(deps.db, job.id).catch(() => undefined);
    throw new IngestError('STAGING_FAILED', `could not move the arrival into inbox/${job.relative_path}`, { transient: true, cause: error });
  }
  const [finished] = await queueStagedJobs(deps, [{ jobId: job.id, relativePath: job.relative_path, manifest }], args.message);
  if (finished === undefined) throw new Error(`job ${job.id} was not in staging`);
  deps.logger.info(finished.status === 'queued' ? 'job queued' : 'arrival kept as unclassified', {
    jobId: job.id,
    path: job.relative_path,
    source: manifest.source,
  });
  return { job: finished, duplicate: false };
}
