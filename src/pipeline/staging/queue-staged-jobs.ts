import type { JobRow } from '../../db/database-schema.js';
import { finishStagingMany } from '../../db/jobs-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { StagedManifest } from './staged-manifest.js';

/** A job whose original is durable in its folder under inbox/, still in `staging`. */
export interface StagedJob {
  readonly jobId: string;
  readonly relativePath: string;
  readonly manifest: Pick<StagedManifest, 'classified' | 'files'>;
}

/**
 * staging → queued, or unclassified when no module matched: the one step every path takes once a
 * job's folder is durable (the folder path, the spool's drain and replay, recovery), so the
 * status, the timeline event and the worker's wake-up are decided in one place. One statement
 * for all the jobs given; returns those that were still in staging (another path may have
 * finished one first).
 */
export async function queueStagedJobs(
  deps: Pick<PipelineDeps, 'db' | 'onJobQueued' | 'onJobUnclassified'>,
  jobs: readonly StagedJob[],
  message: string,
): Promise<JobRow[]> {
  const finished = await finishStagingMany(
    deps.db,
    jobs.map((job) => ({
      jobId: job.jobId,
      status: job.manifest.classified ? 'queued' : 'unclassified',
      data: { path: `inbox/${job.relativePath}`, files: job.manifest.files.length, bytes: job.manifest.files.reduce((sum, file) => sum + file.size, 0) },
    })),
    message,
  );
  if (finished.some((job) => job.status === 'queued')) deps.onJobQueued?.();
  if (finished.some((job) => job.status === 'unclassified')) deps.onJobUnclassified?.();
  return finished;
}
