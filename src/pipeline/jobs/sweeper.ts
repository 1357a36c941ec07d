import { timeOutOverdueJobs } from '../../db/job-queue-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { cleanOrphanedTmp } from './clean-orphaned-tmp.js';
import { recoverExpiredLeases } from './recover-expired-leases.js';
import { recoverStaging } from '../staging/recover-staging.js';

/**
 * Periodic housekeeping, safe to run on every instance at once: expired leases go back to the
 * queue (or fail, out of attempts), then jobs that ran past their deadline become timed_out,
 * interrupted stagings are finished, abandoned tmp/ folders are removed. Leases come first: a
 * job whose worker died is retried, never timed out for the time nobody ran it.
 */
export class Sweeper {
  readonly #deps: PipelineDeps;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      this.#current ??= this.sweepOnce().finally(() => {
        this.#current = undefined;
      });
    }, this.#deps.config.sweeper.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  async sweepOnce(): Promise<void> {
    const { db, logger } = this.#deps;
    try {
      await recoverExpiredLeases(this.#deps);
      const timedOut = await timeOutOverdueJobs(db);
      for (const { id } of timedOut) logger.warn('job timed out', { jobId: id });
      await recoverStaging(this.#deps);
      await cleanOrphanedTmp(this.#deps);
    } catch (error) {
      logger.warn('sweep failed; will try again', { error: String(error) });
    }
  }
}
