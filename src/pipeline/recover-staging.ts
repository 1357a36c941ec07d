import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { deleteStagingJob, finishStaging, findAbandonedStagingJobs, findStagingIds } from '../db/jobs-repository.js';
import { INCOMING_FOLDER, areaPath } from './paths.js';
import type { PipelineDeps } from './pipeline-deps.js';
import { recordStagedFolder } from './record-staged-folder.js';
import { readStagedManifest } from './staged-manifest.js';
import { publishIncoming } from './stage.js';

/** An arrival still being written is younger than this; older leftovers belong to a dead writer. */
export const ABANDONED_AFTER_SECONDS = 120;

export interface RecoveryReport {
  readonly recordedFolders: number;
  readonly completedJobs: number;
  readonly droppedPartial: number;
}

/**
 * Finishes what a crash interrupted between "original durable" and "job committed":
 * - a complete folder in `inbox/.incoming/` with no job row gets its job (the client may have
 *   missed our answer; its retry will find the job by idempotency key);
 * - a `staging` row whose folder is complete becomes queued, moving the folder if needed;
 * - partial folders (no manifest) and rows without any folder were never acknowledged: removed.
 */
export async function recoverStaging(deps: PipelineDeps, args: { readonly olderThanSeconds?: number } = {}): Promise<RecoveryReport> {
  const olderThanSeconds = args.olderThanSeconds ?? ABANDONED_AFTER_SECONDS;
  const node = deps.config.nodeName ?? 'local';
  const incomingRoot = areaPath(deps.config.dataRoot, 'inbox', INCOMING_FOLDER);
  let completedJobs = 0;
  let recordedFolders = 0;
  let droppedPartial = 0;

  for (const job of await findAbandonedStagingJobs(deps.db, { node, olderThanSeconds })) {
    const logger = deps.logger.child({ jobId: job.id });
    const published = areaPath(deps.config.dataRoot, 'inbox', job.relative_path);
    const incoming = path.join(incomingRoot, job.staging_id);
    if ((await readStagedManifest(published)) === undefined && (await readStagedManifest(incoming)) !== undefined) {
      await publishIncoming({ dataRoot: deps.config.dataRoot, incomingDir: incoming, relativePath: job.relative_path });
    }
    const manifest = await readStagedManifest(published);
    if (manifest === undefined) {
      await deleteStagingJob(deps.db, job.id);
      await rm(incoming, { recursive: true, force: true });
      droppedPartial += 1;
      logger.warn('dropped a staging job whose original never became durable', { path: job.relative_path });
      continue;
    }
    await finishStaging(deps.db, { jobId: job.id, status: manifest.classified ? 'queued' : 'unclassified', message: 'staging completed by recovery after an interruption' });
    completedJobs += 1;
    logger.info('recovered an interrupted staging', { path: job.relative_path });
  }

  const entries = await readdir(incomingRoot).catch(() => [] as string[]);
  const known = await findStagingIds(deps.db, entries);
  for (const id of entries) {
    if (known.has(id)) continue;
    const dir = path.join(incomingRoot, id);
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || Date.now() - info.mtimeMs < olderThanSeconds * 1000) continue;
    const manifest = await readStagedManifest(dir);
    if (manifest === undefined) {
      await rm(dir, { recursive: true, force: true });
      droppedPartial += 1;
      deps.logger.warn('removed a partial arrival that was never acknowledged', { stagingId: id });
      continue;
    }
    const { job, duplicate } = await recordStagedFolder(deps, { incomingDir: dir, manifest, message: 'recorded by recovery: the original was durable but its job was not committed' });
    recordedFolders += duplicate ? 0 : 1;
    deps.logger.info('recovered a staged folder without a job', { jobId: job.id, duplicate });
  }
  return { recordedFolders, completedJobs, droppedPartial };
}
