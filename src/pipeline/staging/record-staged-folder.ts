import { rm } from 'node:fs/promises';
import type { JobRow } from '../../db/database-schema.js';
import { deleteStagingJob, finishStaging } from '../../db/jobs-repository.js';
import { IngestError } from '../../core/ingest-error.js';
import { insertStagingRows } from './insert-staging-rows.js';
import { areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { readStagedManifest, type StagedManifest } from './staged-manifest.js';
import { publishIncoming } from './stage.js';

export interface AcceptResult {
  readonly job: JobRow;
  /** True when an earlier arrival with the same idempotency key already made this job. */
  readonly duplicate: boolean;
}

/**
 * The commit point of an arrival. The folder is already complete and fsynced under
 * `inbox/.incoming/`; this reserves the job's real folder name with a `staging` row, moves the
 * folder there durably, and only then makes the job visible (`queued` or `unclassified`). The
 * caller may acknowledge the arrival once this resolves, never before.
 */
export async function recordStagedFolder(deps: PipelineDeps, args: { readonly incomingDir: string; readonly manifest: StagedManifest; readonly message: string }): Promise<AcceptResult> {
  const { manifest } = args;
  const [inserted] = await insertStagingRows(deps, [{ manifest }]);
  if (inserted === undefined) throw new Error('no staging row was inserted');

  if (inserted.duplicate) {
    await rm(args.incomingDir, { recursive: true, force: true });
    if (inserted.job.status === 'staging' && !isSpooled(inserted.job)) {
      // The first copy is still being made durable (or its writer died): acknowledging this one
      // now could promise data that is not safe yet. Let the client retry.
      throw new IngestError('ARRIVAL_IN_PROGRESS', 'the same arrival is being stored right now; try again shortly');
    }
    deps.logger.info('duplicate arrival: returning the existing job', { jobId: inserted.job.id, idempotencyKey: manifest.idempotencyKey });
    return inserted;
  }

  const { job } = inserted;
  try {
    await publishIncoming({ dataRoot: deps.config.dataRoot, incomingDir: args.incomingDir, relativePath: job.relative_path });
  } catch (error) {
    // If the folder did reach its place, keep the row: recovery finishes it (and the client's
    // retry then finds the job). Otherwise the arrival never became durable: forget it.
    const published = await readStagedManifest(areaPath(deps.config.dataRoot, 'inbox', job.relative_path));
    if (published === undefined) await deleteStagingJob(deps.db, job.id).catch(() => undefined);
    throw new IngestError('STAGING_FAILED', `could not move the arrival into inbox/${job.relative_path}`, { cause: error });
  }
  const status = manifest.classified ? 'queued' : 'unclassified';
  const finished = await finishStaging(deps.db, {
    jobId: job.id,
    status,
    message: args.message,
    data: { path: `inbox/${job.relative_path}`, files: manifest.files.length, bytes: manifest.files.reduce((sum, file) => sum + file.size, 0) },
  });
  deps.logger.info(status === 'queued' ? 'job queued' : 'arrival kept as unclassified', { jobId: job.id, path: job.relative_path, source: manifest.source });
  if (status === 'queued') deps.onJobQueued?.();
  return { job: finished, duplicate: false };
}

/** A staging row whose original is already durable in the spool (see spool/): only its folder is still to be written. */
export function isSpooled(job: JobRow): boolean {
  const manifest = job.manifest as { spool?: unknown } | null;
  return manifest !== null && typeof manifest === 'object' && manifest.spool !== undefined;
}
