import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { JobRow } from '../../db/database-schema.js';
import { readJobManifest } from '../../db/job-manifest.js';
import { deleteStagingJob, findAbandonedStagingJobs, findJob, findStagingIds } from '../../db/jobs-repository.js';
import { INCOMING_FOLDER, areaPath } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { queueStagedJobs } from './queue-staged-jobs.js';
import { recordStagedFolder } from './record-staged-folder.js';
import { readStagedManifest } from './staged-manifest.js';
import { publishIncoming } from './stage.js';

/** An arrival written to within this time may still be in progress; older leftovers belong to a dead writer. */
export const ABANDONED_AFTER_SECONDS = 120;

export interface RecoveryReport {
  readonly recordedFolders: number;
  readonly completedJobs: number;
  readonly droppedPartial: number;
}

type Outcome = 'recorded' | 'completed' | 'dropped' | 'nothing';

/**
 * Finishes what a crash interrupted between "original durable" and "job committed":
 * - a complete folder in `inbox/.incoming/` with no job row gets its job (the client may have
 *   missed our answer; its retry will find the job by idempotency key);
 * - a `staging` row whose folder is complete becomes queued, moving the folder if needed;
 * - partial folders (no manifest) and rows without any folder were never acknowledged: removed.
 * Each item is handled on its own, so one bad folder or a concurrent recovery elsewhere never
 * stops the rest; what fails is retried at the next sweep.
 */
export async function recoverStaging(deps: PipelineDeps, args: { readonly olderThanSeconds?: number } = {}): Promise<RecoveryReport> {
  const olderThanSeconds = args.olderThanSeconds ?? ABANDONED_AFTER_SECONDS;
  const counts: Record<Outcome, number> = { recorded: 0, completed: 0, dropped: 0, nothing: 0 };
  const node = deps.config.sharedDataRoot ? null : deps.config.node.name;
  for (const job of await findAbandonedStagingJobs(deps.db, { node, olderThanSeconds })) {
    counts[await guarded(deps, { jobId: job.id }, () => recoverStagingRow(deps, job))] += 1;
  }
  const incomingRoot = areaPath(deps.config.dataRoot, 'inbox', INCOMING_FOLDER);
  const entries = await readdir(incomingRoot).catch(() => [] as string[]);
  const known = await findStagingIds(deps.db, entries);
  for (const id of entries.filter((entry) => !known.has(entry))) {
    counts[await guarded(deps, { stagingId: id }, () => recoverIncomingFolder(deps, path.join(incomingRoot, id), olderThanSeconds))] += 1;
  }
  return { recordedFolders: counts.recorded, completedJobs: counts.completed, droppedPartial: counts.dropped };
}

async function recoverStagingRow(deps: PipelineDeps, found: JobRow): Promise<Outcome> {
  // Its original is durable in its node's spool, which writes the folder (at the latest when
  // that node starts again); the row is not abandoned.
  if (readJobManifest(found).spool !== undefined) return 'nothing';
  // The same lock as the folder branch: the row may be one that another instance's folder
  // branch is recording right now (row inserted, folder not yet moved). Under the lock, look
  // again: whoever held it may have finished the job already.
  return withRecoveryLock(deps, found.staging_id, async (lockedDeps) => {
    const job = await findJob(lockedDeps.db, found.id);
    if (job?.status !== 'staging') return 'nothing';
    return finishStagingRow(lockedDeps, job);
  });
}

async function finishStagingRow(deps: PipelineDeps, job: JobRow): Promise<Outcome> {
  const logger = deps.logger.child({ jobId: job.id });
  const published = areaPath(deps.config.dataRoot, 'inbox', job.relative_path);
  const incoming = areaPath(deps.config.dataRoot, 'inbox', path.join(INCOMING_FOLDER, job.staging_id));
  if ((await readStagedManifest(published)) === undefined && (await readStagedManifest(incoming)) !== undefined) {
    await publishIncoming({ dataRoot: deps.config.dataRoot, incomingDir: incoming, relativePath: job.relative_path });
  }
  const manifest = await readStagedManifest(published);
  if (manifest === undefined) {
    await deleteStagingJob(deps.db, job.id);
    await rm(incoming, { recursive: true, force: true });
    logger.warn('dropped a staging job whose original never became durable', { path: job.relative_path });
    return 'dropped';
  }
  const [finished] = await queueStagedJobs(
    deps,
    [{ jobId: job.id, relativePath: job.relative_path, manifest }],
    'staging completed by recovery after an interruption',
  );
  // A writer that does not take the recovery lock (the original arrival, far slower than
  // ABANDONED_AFTER_SECONDS) may have finished it first: that is fine.
  if (finished === undefined) return 'nothing';
  logger.info('recovered an interrupted staging', { path: job.relative_path });
  return 'completed';
}

async function recoverIncomingFolder(deps: PipelineDeps, dir: string, olderThanSeconds: number): Promise<Outcome> {
  const lastWrite = await newestModification(dir);
  if (lastWrite === undefined || Date.now() - lastWrite < olderThanSeconds * 1000) return 'nothing';
  // Two instances may recover the same folder at once; only the one holding the lock may move,
  // record or delete it, and it looks again once it holds the lock.
  return withRecoveryLock(deps, path.basename(dir), async (lockedDeps) => {
    if ((await newestModification(dir)) === undefined) return 'nothing';
    const manifest = await readStagedManifest(dir);
    if (manifest === undefined) {
      await rm(dir, { recursive: true, force: true });
      deps.logger.warn('removed a partial arrival that was never acknowledged', { stagingId: path.basename(dir) });
      return 'dropped';
    }
    const { job, duplicate } = await recordStagedFolder(lockedDeps, {
      incomingDir: dir,
      manifest,
      message: 'recorded by recovery: the original was durable but its job was not committed',
    });
    deps.logger.info('recovered a staged folder without a job', { jobId: job.id, duplicate });
    return duplicate ? 'nothing' : 'recorded';
  });
}

/** The advisory lock that one arrival's recovery holds (its staging id), whichever branch finds it. */
export function recoveryLockName(stagingId: string): string {
  return `recover:${stagingId}`;
}

/** Runs `work` on one connection holding a session advisory lock for `stagingId`; skips when another holds it. */
async function withRecoveryLock(deps: PipelineDeps, stagingId: string, work: (deps: PipelineDeps) => Promise<Outcome>): Promise<Outcome> {
  const name = recoveryLockName(stagingId);
  return deps.db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtextextended(${name}, 0)) AS locked`.execute(connection);
    if (rows[0]?.locked !== true) return 'nothing';
    try {
      return await work({ ...deps, db: connection });
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtextextended(${name}, 0))`.execute(connection);
    }
  });
}

async function guarded(deps: PipelineDeps, context: Record<string, string>, run: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await run();
  } catch (error) {
    deps.logger.warn('recovery of one arrival failed; the next sweep tries again', { ...context, error: String(error) });
    return 'nothing';
  }
}

/**
 * When an incoming folder was last written to. Appending to a file inside does not touch the
 * folder's own mtime, so the newest of the folder and its files counts: a slow upload that is
 * still streaming is never mistaken for an abandoned one.
 */
async function newestModification(dir: string): Promise<number | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return undefined;
  let newest = info.mtimeMs;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = await stat(path.join(dir, name)).catch(() => undefined);
    if (file !== undefined) newest = Math.max(newest, file.mtimeMs);
  }
  return newest;
}
