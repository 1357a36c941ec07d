import { setTimeout as delay } from 'node:timers/promises';
import type { PipelineDeps } from '../pipeline-deps.js';
import { drainSpooledBatch } from './drain-spooled-batch.js';
import type { SpoolFolderWriter } from './spool-folder-writer.js';
import type { SpoolItem, SpoolSegments, SpoolState } from './spool-segments.js';

const DRAIN_BATCH_RECORDS = 256;
const DRAIN_RETRY_MS = 1000;
const DRAIN_GATHER_MS = 100;
const MAX_RETRY_PAUSE_MS = 60_000;

interface StuckItem {
  readonly item: SpoolItem;
  failures: number;
  retryAt: number;
}

/**
 * Writes the job folders of acknowledged records, in batches (drainSpooledBatch), for as long as
 * there are any. A batch that fails is tried again one record at a time, to find the record at
 * fault; that one is set aside and retried alone with a growing pause, so the others flow.
 */
export class SpoolDrain {
  readonly #deps: PipelineDeps;
  readonly #segments: SpoolSegments;
  readonly #state: SpoolState;
  readonly #writer: SpoolFolderWriter | undefined;
  readonly #queue: SpoolItem[] = [];
  /** Records whose folder failed on its own. */
  readonly #stuck: StuckItem[] = [];
  #running: Promise<void> | undefined;

  constructor(args: { readonly deps: PipelineDeps; readonly segments: SpoolSegments; readonly state: SpoolState; readonly writer?: SpoolFolderWriter }) {
    this.#deps = args.deps;
    this.#writer = args.writer;
    this.#segments = args.segments;
    this.#state = args.state;
  }

  /** Records acknowledged whose folders are not written yet. */
  backlog(): number {
    return this.#queue.length + this.#stuck.length;
  }

  /** The drain at work, if it is. */
  running(): Promise<void> | undefined {
    return this.#running;
  }

  add(items: readonly SpoolItem[]): void {
    // Records of before a lost lock are not drained from memory: the replay after the regain reads them from disk.
    const current = items.filter((item) => item.segment.generation === this.#state.generation);
    if (current.length === 0) return;
    this.#queue.push(...current);
    if (this.#running === undefined)
      this.#running = this.#drain(this.#state.generation).finally(() => {
        this.#running = undefined;
      });
  }

  /** Drops every record (after a lost lock: they are read from disk again). */
  forget(): void {
    this.#queue.length = 0;
    this.#stuck.length = 0;
  }

  async #drain(generation: number): Promise<void> {
    /** After a batch failed: how many of its records are still to be tried one by one, to find the bad one. */
    let isolating = 0;
    while (this.backlog() > 0 && !this.#state.halted) {
      // The lock was lost: stop touching the spool (another instance may replay it now). After
      // every await below, too: the queues may have been replaced by the replay after a regain.
      if (generation !== this.#state.generation) return;
      const due = this.#stuck.find((entry) => entry.retryAt <= Date.now());
      if (due !== undefined) {
        await this.#retryStuck(due, generation);
        continue;
      }
      if (this.#queue.length === 0) {
        // Only stuck records are left: wait for the next one's turn, a second at a time so a stop is seen.
        await delay(Math.min(1000, Math.max(1, Math.min(...this.#stuck.map((entry) => entry.retryAt)) - Date.now())));
        continue;
      }
      const batchSize = isolating > 0 ? 1 : DRAIN_BATCH_RECORDS;
      // A moment's wait lets a burst gather, so one syncfs covers many folders.
      if (isolating === 0 && this.#queue.length < batchSize && !this.#state.stopped) await delay(DRAIN_GATHER_MS);
      if (generation !== this.#state.generation) return;
      const batch = this.#queue.slice(0, batchSize);
      try {
        await this.#drainBatch(batch);
        if (generation !== this.#state.generation) return;
        this.#queue.splice(0, batch.length);
        isolating = Math.max(0, isolating - 1);
      } catch (error) {
        if (generation !== this.#state.generation) return;
        if (batch.length > 1) {
          this.#deps.logger.warn('writing spooled arrivals into their folders failed; trying them one by one', { error: String(error), records: batch.length });
          isolating = batch.length;
          continue;
        }
        isolating = Math.max(0, isolating - 1);
        const [item] = this.#queue.splice(0, 1);
        if (item !== undefined) this.#stuck.push({ item, failures: 1, retryAt: Date.now() + DRAIN_RETRY_MS });
        this.#deps.logger.warn("a spooled arrival's folder could not be written; the others go on, it is retried", {
          error: String(error),
          stagingId: item?.stagingId,
          failures: 1,
        });
      }
    }
  }

  /** Tries a stuck record again, alone; on failure its pause doubles (up to a minute). */
  async #retryStuck(entry: StuckItem, generation: number): Promise<void> {
    try {
      await this.#drainBatch([entry.item]);
      if (generation === this.#state.generation) this.#stuck.splice(this.#stuck.indexOf(entry), 1);
    } catch (error) {
      if (generation !== this.#state.generation) return;
      entry.failures += 1;
      entry.retryAt = Date.now() + Math.min(DRAIN_RETRY_MS * 2 ** (entry.failures - 1), MAX_RETRY_PAUSE_MS);
      this.#deps.logger[entry.failures >= 5 ? 'error' : 'warn']("a spooled arrival's folder still cannot be written; retrying later", {
        error: String(error),
        stagingId: entry.item.stagingId,
        failures: entry.failures,
      });
    }
  }

  #drainBatch(batch: readonly SpoolItem[]): Promise<void> {
    return drainSpooledBatch(this.#deps, batch, (segment) => this.#segments.settle(segment), this.#writer);
  }
}
