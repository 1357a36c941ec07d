import type { Kysely } from 'kysely';
import type { Config } from '../config/config-schema.js';
import type { ArchiveS3Settings } from '../config/retention-schema.js';
import { releaseArchiveUploadLock, scanPendingArchives, startOfArchiveScan, tryTakeArchiveUploadLock } from '../db/archive-objects-repository.js';
import type { Database } from '../db/database-schema.js';
import type { Logger } from '../logging/logging.js';
import { openArchiveObjects, type ArchiveObjects } from './archive-objects.js';
import { mapConcurrently } from './job-folders.js';
import { ArchiveVerifyError, uploadJobArchive } from './upload-job-archive.js';

/** Jobs read per scan; each batch is uploaded `concurrency` at a time. */
const SCAN_BATCH = 100;

export interface ArchiveUploadReport {
  readonly uploaded: number;
  readonly bytes: number;
  readonly failed: number;
  /** Jobs settled without an upload (no local copy), or left because they changed meanwhile. */
  readonly passed: number;
}

/** What the task reports as it goes (metrics). */
export interface ArchiveUploadObserver {
  readonly uploaded?: (bytes: number) => void;
  readonly failed?: (reason: 'verify' | 'error') => void;
}

export interface ArchiveUploadTaskDeps {
  readonly db: Kysely<Database>;
  readonly config: Pick<Config, 'dataRoot' | 'archive' | 'sharedDataRoot'>;
  readonly settings: ArchiveS3Settings;
  readonly nodeName: string;
  readonly logger: Logger;
  readonly observer?: ArchiveUploadObserver;
  /** The bucket client; opened on the first run when absent (tests hand in their own). */
  readonly objects?: ArchiveObjects;
}

/**
 * Moves archive copies to the bucket tier (`archive.s3`) on a schedule. One runner per archive
 * across instances (a session advisory lock: the node's own archive, or the shared one), so no
 * job is uploaded twice at once. A failed job keeps its local copy, is logged and counted, and is
 * tried again at the next interval; the job itself is never failed by this.
 */
export class ArchiveUploadTask {
  readonly #deps: ArchiveUploadTaskDeps;
  #objects: ArchiveObjects | undefined;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<unknown> | undefined;
  #stopping = false;
  /** Shutdown aborts the transfers in flight instead of waiting for a large upload to end. */
  readonly #abort = new AbortController();

  constructor(deps: ArchiveUploadTaskDeps) {
    this.#deps = deps;
    this.#objects = deps.objects;
  }

  start(): void {
    this.#timer = setInterval(() => this.#inBackground(), this.#deps.settings.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#current?.catch(() => undefined);
    if (this.#deps.objects === undefined) this.#objects?.destroy();
    this.#objects = undefined;
  }

  /** One pass over every pending job; 'busy' when another runner holds this archive's lock. */
  async runOnce(): Promise<ArchiveUploadReport | 'busy'> {
    const { db, config, nodeName } = this.#deps;
    const scope = config.sharedDataRoot ? 'shared' : `node:${nodeName}`;
    return db.connection().execute(async (connection) => {
      if (!(await tryTakeArchiveUploadLock(connection, scope))) return 'busy' as const;
      try {
        return await this.#pass();
      } finally {
        await releaseArchiveUploadLock(connection, scope).catch(() => undefined);
      }
    });
  }

  #inBackground(): void {
    if (this.#current !== undefined || this.#stopping) return;
    this.#current = this.runOnce()
      .catch((error: unknown) => this.#deps.logger.warn('archive upload run failed; the next interval retries', { error: String(error) }))
      .finally(() => {
        this.#current = undefined;
      });
  }

  async #pass(): Promise<ArchiveUploadReport> {
    const { db, config, settings, nodeName, logger, observer } = this.#deps;
    this.#objects ??= await openArchiveObjects(settings);
    const objects = this.#objects;
    const report = { uploaded: 0, bytes: 0, failed: 0, passed: 0 };
    let after = startOfArchiveScan();
    while (!this.#stopping) {
      const batch = await scanPendingArchives(db, { after, limit: SCAN_BATCH, node: config.sharedDataRoot ? null : nodeName });
      const last = batch.at(-1);
      if (last === undefined) break;
      after = { finishedAt: last.finishedAt, id: last.id };
      await mapConcurrently(batch, settings.concurrency, async (job) => {
        if (this.#stopping) return;
        try {
          const result = await uploadJobArchive({ db, config, settings, objects, signal: this.#abort.signal }, job);
          if (result.outcome === 'uploaded') {
            report.uploaded += 1;
            report.bytes += result.bytes;
            observer?.uploaded?.(result.bytes);
          } else report.passed += 1;
        } catch (error) {
          if (this.#stopping) return; // aborted by shutdown: pending again at the next start, not a failure
          report.failed += 1;
          const reason = error instanceof ArchiveVerifyError ? 'verify' : 'error';
          observer?.failed?.(reason);
          logger.warn(
            `archive copy not moved to the bucket (${reason === 'verify' ? 'verification failed' : 'upload failed'}); the local copy stays, retried next interval`,
            {
              jobId: job.id,
              path: job.relativePath,
              error: String(error),
            },
          );
        }
      });
    }
    if (report.uploaded > 0 || report.failed > 0) logger.info('archive upload run', { ...report });
    return report;
  }
}
