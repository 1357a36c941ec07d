import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRow } from '../../db/database-schema.js';
import { claimJobs } from '../../db/job-queue-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import { jobSettingsFor } from './job-settings.js';
import { runJob } from './run-job.js';

/**
 * Claims queued jobs and runs up to `worker.concurrency` of them at once. Any number of workers,
 * in any number of processes, can share one database: claims use SKIP LOCKED and every outcome is
 * fenced on the lease.
 */
export class Worker {
  readonly #deps: PipelineDeps;
  readonly #instance: string;
  readonly #running = new Set<Promise<void>>();
  /** Running jobs per module key, for modules with a `maxRunning` bound. */
  readonly #runningByModule = new Map<string, number>();
  readonly #shutdown = new AbortController();
  /** Settles when stop() is called, so a loop waiting for a free slot stops waiting. */
  readonly #stopRequested: Promise<void>;
  #requestStop: () => void = () => undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    this.#stopRequested = new Promise((resolve) => {
      this.#requestStop = resolve;
    });
    this.#instance = `${deps.config.node.name}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Starts the next claim now instead of at the next poll (a local arrival was just queued). */
  wake(): void {
    this.#wake?.();
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /**
   * Stops claiming, lets running jobs finish within the grace period, then asks the rest to stop
   * (they release their lease so another worker retries them) and waits for them.
   */
  async stop(graceSeconds: number): Promise<void> {
    this.#stopping = true;
    this.#requestStop();
    this.#wake?.();
    await this.#loop;
    const all = Promise.allSettled([...this.#running]);
    const graceOver = sleep(graceSeconds * 1000, undefined, { ref: false }).then(() => 'timeout' as const);
    if ((await Promise.race([all.then(() => 'done' as const), graceOver])) === 'timeout') {
      this.#deps.logger.warn('grace period over: releasing running jobs', { running: this.#running.size });
      this.#shutdown.abort();
      await all;
    }
  }

  async #run(): Promise<void> {
    const { config, logger } = this.#deps;
    let slot = 0;
    while (!this.#stopping) {
      const free = config.worker.concurrency - this.#running.size;
      if (free <= 0) {
        await Promise.race([...this.#running, this.#stopRequested]);
        continue;
      }
      // Every free slot in one claim (one round trip, one commit); each job keeps its own lease.
      const owners = Array.from({ length: free }, () => `${this.#instance}:${(slot += 1)}`);
      let claimed: JobRow[] = [];
      try {
        claimed = await claimJobs(this.#deps.db, {
          owners,
          node: config.node.name,
          anyNode: config.sharedDataRoot,
          leaseSeconds: config.worker.leaseSeconds,
          ...this.#claimableModules(),
        });
      } catch (error) {
        logger.warn('could not claim a job', { error: String(error) });
      }
      if (claimed.length === 0) {
        await this.#idle(config.worker.pollIntervalMs);
        continue;
      }
      for (const job of claimed) this.#start(job);
    }
  }

  /** Modules without a bound, and those with a bound not reached yet (at most one of these per claim). */
  #claimableModules(): { moduleKeys: string[]; limitedModuleKeys: string[] } {
    const moduleKeys: string[] = [];
    const limitedModuleKeys: string[] = [];
    for (const key of this.#deps.registry.keys()) {
      const { maxRunning } = jobSettingsFor(this.#deps.config, key, this.#deps.registry.get(key));
      if (maxRunning === null) moduleKeys.push(key);
      else if ((this.#runningByModule.get(key) ?? 0) < maxRunning) limitedModuleKeys.push(key);
    }
    return { moduleKeys, limitedModuleKeys };
  }

  #start(job: JobRow): void {
    const key = `${job.category}/${job.type}`;
    this.#runningByModule.set(key, (this.#runningByModule.get(key) ?? 0) + 1);
    const running = runJob(this.#deps, { job, owner: job.lease_owner ?? '', shutdownSignal: this.#shutdown.signal })
      .catch((error: unknown) => {
        this.#deps.logger.error('job runner crashed', { jobId: job.id, error: String(error) });
      })
      .finally(() => {
        this.#running.delete(running);
        this.#runningByModule.set(key, (this.#runningByModule.get(key) ?? 1) - 1);
        // A bounded module's queued job may have been waiting for this slot.
        this.#wake?.();
      });
    this.#running.add(running);
  }

  async #idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }
}
