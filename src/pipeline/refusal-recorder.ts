import type { Kysely } from 'kysely';
import type { RefusedArrival } from '../core/refused-arrival.js';
import type { Database } from '../db/database-schema.js';
import { deleteRefusedArrivalsBefore, insertRefusedArrivals } from '../db/refused-arrivals-repository.js';
import type { Logger } from '../logging/logging.js';

export interface RefusalRecorderOptions {
  readonly db: Kysely<Database>;
  readonly node: string;
  readonly logger: Logger;
  /** Rows older than this many days are deleted (checked every `trimIntervalMs`). */
  readonly keepDays: number;
  /** Refusals waiting for their INSERT at most; beyond, they are counted as dropped, not queued. */
  readonly maxQueued: number;
  readonly flushMs?: number;
  readonly trimIntervalMs?: number;
  /** For the metrics: each refusal recorded or dropped. */
  readonly observe?: { recorded(refusal: RefusedArrival): void; dropped(refusal: RefusedArrival): void };
}

const BATCH = 500;
const TRIM_BATCH = 5000;

/**
 * Writes refusals to `refused_arrivals` in batches, off the reply path: a refusal is a record of
 * something we did not accept, so nothing waits for it and nothing is lost that was promised.
 * The queue is bounded so a flood of refused connections (a scanner, a misconfigured relay) costs
 * memory only up to `maxQueued`; the excess is counted (dataprocessor_refused_dropped_total).
 */
export class RefusalRecorder {
  readonly #options: RefusalRecorderOptions;
  #queue: RefusedArrival[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #trimTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;
  #lastDropWarning = 0;

  constructor(options: RefusalRecorderOptions) {
    this.#options = options;
  }

  start(): void {
    this.#trimTimer = setInterval(() => void this.trim(), this.#options.trimIntervalMs ?? 3_600_000);
    this.#trimTimer.unref();
    void this.trim();
  }

  record(refusal: RefusedArrival): void {
    if (this.#stopped || this.#queue.length >= this.#options.maxQueued) {
      this.#options.observe?.dropped(refusal);
      if (Date.now() - this.#lastDropWarning > 60_000) {
        this.#lastDropWarning = Date.now();
        this.#options.logger.warn('refusal not recorded: the queue is full (or the service is stopping)', { queued: this.#queue.length });
      }
      return;
    }
    this.#queue.push(refusal);
    this.#options.observe?.recorded(refusal);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, this.#options.flushMs ?? 500);
  }

  /** Writes everything queued now; resolves when written (or failed and re-queued). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#queue.length === 0) return;
    this.#flushing = this.#write().finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  async #write(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, BATCH);
      try {
        await insertRefusedArrivals(this.#options.db, this.#options.node, batch);
        this.#queue.splice(0, batch.length);
      } catch (error) {
        // The database is away: keep them (bounded) and try again shortly.
        this.#options.logger.warn('recording refusals failed; retrying', { queued: this.#queue.length, error: String(error) });
        if (!this.#stopped) {
          this.#flushTimer ??= setTimeout(() => {
            this.#flushTimer = undefined;
            void this.flush();
          }, 5000);
        }
        return;
      }
    }
  }

  /** Deletes refusals older than keepDays, in batches. */
  async trim(): Promise<number> {
    const cutoff = new Date(Date.now() - this.#options.keepDays * 86_400_000);
    let total = 0;
    try {
      for (;;) {
        const removed = await deleteRefusedArrivalsBefore(this.#options.db, { cutoff, limit: TRIM_BATCH });
        total += removed;
        if (removed < TRIM_BATCH || this.#stopped) break;
      }
    } catch (error) {
      this.#options.logger.warn('trimming old refusals failed', { error: String(error) });
    }
    return total;
  }

  /** Writes what is queued (one try) and stops the timers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    clearInterval(this.#trimTimer);
    this.#flushTimer = undefined;
    await this.flush();
    clearTimeout(this.#flushTimer);
  }
}
