import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { Database } from '../db/database-schema.js';
import { deleteJobRows, lockJobsForPurge } from '../db/retention-repository.js';
import { removeRecordedArchiveObjects, type ArchiveObjects } from './archive-objects.js';
import { mapConcurrently, removeJobFolders, type JobArea } from './job-folders.js';

/** Folders measured and removed at once; beyond libuv's 4 threads more only queue. */
export const FOLDER_CONCURRENCY = 8;

/** Every area a job may have files in. */
export const ALL_JOB_AREAS: readonly JobArea[] = ['inbox', 'archive', 'tmp'];

export interface DeletedJobData {
  readonly id: string;
  readonly customer: string;
  readonly bytes: number;
}

/**
 * Deletes jobs for good: their folders in inbox/, the archive and tmp/, their archive copy in the
 * bucket tier (`archive.s3`; a job with one is skipped while no client is given), then their rows (events
 * cascade), in one short transaction that holds the rows locked meanwhile. Jobs a worker or a
 * staging is using, and rows another transaction holds, are skipped (not returned): call again.
 * Module rows keep their `last_job_id` (no foreign key): this removes the job's bookkeeping and
 * originals, not the data it loaded. Used by retention; meant for offboarding too.
 *
 * Files are removed before the commit: a crash in between leaves the rows, and the next call
 * removes what is left (removal is idempotent). Keep `jobIds` to a batch (a few hundred).
 */
export async function deleteJobData(
  deps: { readonly db: Kysely<Database>; readonly config: Pick<Config, 'dataRoot' | 'archive'>; readonly archiveObjects?: ArchiveObjects | undefined },
  args: { readonly jobIds: readonly string[]; readonly scope?: 'final' | 'unclassified' | 'idle'; readonly endedBefore?: Date },
): Promise<DeletedJobData[]> {
  return deps.db.transaction().execute(async (trx) => {
    const locked = await lockJobsForPurge(trx, {
      ids: args.jobIds,
      scope: args.scope ?? 'idle',
      ...(args.endedBefore === undefined ? {} : { endedBefore: args.endedBefore }),
    });
    const removed = await mapConcurrently(locked, FOLDER_CONCURRENCY, async (job): Promise<DeletedJobData | undefined> => {
      const objectBytes = await removeRecordedArchiveObjects(deps.archiveObjects, job);
      if (objectBytes === null) return undefined;
      return { id: job.id, customer: job.customer, bytes: objectBytes + (await removeJobFolders(deps.config, job.relativePath, ALL_JOB_AREAS)) };
    });
    const deleted = removed.filter((job): job is DeletedJobData => job !== undefined);
    await deleteJobRows(
      trx,
      deleted.map((job) => job.id),
    );
    return deleted;
  });
}
