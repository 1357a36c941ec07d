import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimNextJob } from '../../db/job-queue-repository.js';
import type { PipelineDeps } from '../pipeline-deps.js';
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
      if (this.#running.size >= config.worker.concurrency) {
        await Promise.race([...this.#running, this.#stopRequested]);
        continue;
      }
      let claimed;
      try {
        slot += 1;
        claimed = await claimNextJob(this.#deps.db, {
          owner: `${this.#instance}:${slot}`,
          node: config.node.name,
          anyNode: config.sharedDataRoot,
          leaseSeconds: config.worker.leaseSeconds,
          moduleKeys: this.#deps.registry.keys(),
        });
      } catch (error) {
        logger.warn('could not claim a job', { error: String(error) });
      }
      if (claimed === undefined) {
        await this.#idle(config.worker.pollIntervalMs);
        continue;
      }
      const job = claimed;
      const running = runJob(this.#deps, { job, owner: `${this.#instance}:${slot}`, shutdownSignal: this.#shutdown.signal })
        .catch((error: unknown) => {
          logger.error('job runner crashed', { jobId: job.id, error: String(error) });
        })
        .finally(() => this.#running.delete(running));
      this.#running.add(running);
    }
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
