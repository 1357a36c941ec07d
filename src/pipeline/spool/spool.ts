import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { IngestError } from '../../core/ingest-error.js';
import { sanitizeSegment } from '../paths.js';
import type { PipelineDeps } from '../pipeline-deps.js';
import type { AcceptResult } from '../staging/accept-result.js';
import { fsyncDirectory } from '../staging/stage.js';
import type { ArrivalSpool } from './arrival-spool.js';
import { replaySpoolSegments } from './replay-spool-segments.js';
import { SpoolDrain } from './spool-drain.js';
import { SpoolFolderWriter } from './spool-folder-writer.js';
import { SpoolGroupCommit } from './spool-group-commit.js';
import { holdSpoolLock, type SpoolLock, type SpoolLockHolder } from './spool-lock.js';
import type { SpoolRecord } from './spool-record.js';
import { SpoolSegments, type SpoolState } from './spool-segments.js';

/** The spool's part of the configuration (`spool` in config/default.json). */
export interface SpoolSettings {
  readonly maxBacklog: number;
  readonly maxArrivalBytes: number;
  /**
   * False: only replay what an earlier run left (the spool was turned off since, or this node
   * has no stable name), then let go of the spool.
   */
  readonly accept: boolean;
}

/** Pause before replaying again when the replay after a regained lock failed (the database went again). */
const RESUME_RETRY_MS = 1000;

/**
 * Durable acceptance of small arrivals with group commit, as a mail server's queue does it.
 * Each arrival is appended to a segment file shared by all of them and acknowledged once its
 * batch is fdatasynced and its job row committed (spool-group-commit.ts). After the
 * acknowledgement, the drain writes the job folders under inbox/, makes a batch of them durable
 * with one syncfs, and only then moves the jobs to `queued` and lets go of their records
 * (spool-drain.ts); a segment is deleted once every record in it has its durable folder
 * (spool-segments.ts). After a crash, start-up replays every segment left
 * (replay-spool-segments.ts).
 *
 * One spool per node: `<dataRoot>/spool/<node>/`, guarded by a PostgreSQL advisory lock, so an
 * instance starting while another still runs on the same data root never replays its segments.
 * This class ties the parts to the lock: a lost lock ends all work of before the loss, and a
 * regained one replays the spool from its files before it takes arrivals again.
 */
export class Spool implements ArrivalSpool {
  readonly maxArrivalBytes: number;
  readonly #deps: PipelineDeps;
  readonly #settings: SpoolSettings;
  readonly #lock: SpoolLock;
  readonly #state: SpoolState = { generation: 0, stopped: false, halted: false };
  readonly #segments: SpoolSegments;
  readonly #drain: SpoolDrain;
  readonly #writer: SpoolFolderWriter;
  readonly #groupCommit: SpoolGroupCommit;
  #stopping: Promise<void> | undefined;
  /** The session whose lock this spool works under; undefined from a loss until the replay after the regain is done. */
  #holder: SpoolLockHolder | undefined;
  /** The replay after a regained lock. */
  #resuming: Promise<void> | undefined;
  #lockLosses = 0;
  #lockRegains = 0;

  private constructor(deps: PipelineDeps, settings: SpoolSettings, node: string, dir: string, lock: SpoolLock) {
    this.#deps = deps;
    this.#settings = settings;
    // A spool that only replays takes nothing: transports need not hold any arrival in memory for it.
    this.maxArrivalBytes = settings.accept ? settings.maxArrivalBytes : 0;
    this.#lock = lock;
    this.#segments = new SpoolSegments(dir, this.#state);
    this.#writer = new SpoolFolderWriter(deps.logger);
    this.#drain = new SpoolDrain({ deps, segments: this.#segments, state: this.#state, writer: this.#writer });
    this.#groupCommit = new SpoolGroupCommit({
      deps,
      node,
      segments: this.#segments,
      holder: () => (this.lockHeld() ? this.#holder : undefined),
      drain: (items) => this.#drain.add(items),
    });
  }

  /**
   * Opens this node's spool and starts replaying what a previous run left. Undefined when another
   * instance holds this node's spool (arrivals then take the folder path).
   */
  static async open(deps: PipelineDeps, settings: SpoolSettings): Promise<Spool | undefined> {
    const node = deps.config.node.name;
    // The lock exists before the spool it reports to.
    const opened: { spool?: Spool } = {};
    const lock = await holdSpoolLock({
      db: deps.db,
      node,
      logger: deps.logger,
      events: {
        lost: () => {
          if (opened.spool !== undefined) opened.spool.#lockLost();
        },
        regained: (holder) => {
          if (opened.spool !== undefined) opened.spool.#lockRegained(holder);
        },
      },
    });
    if (lock === undefined) {
      deps.logger.warn("another instance holds this node's spool: small arrivals take the slower folder path", { node });
      return undefined;
    }
    const dir = path.join(path.resolve(deps.config.dataRoot), 'spool', sanitizeSegment(node));
    const spool = new Spool(deps, settings, node, dir, lock);
    opened.spool = spool;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const folder of [dir, path.dirname(dir), path.dirname(path.dirname(dir))]) await fsyncDirectory(folder);
      await spool.#replay(0);
    } catch (error) {
      await spool.#writer.close();
      await lock.release();
      throw error;
    }
    // Lost during that replay: the regain replays again and only then lets the spool be used.
    if (spool.#state.generation === 0) spool.#holder = lock.holder();
    if (!settings.accept) void spool.settled().then(() => spool.stop(0));
    return spool;
  }

  accepting(): boolean {
    return this.#settings.accept && !this.#state.stopped && this.lockHeld() && this.#groupCommit.waiting() + this.backlog() < this.#settings.maxBacklog;
  }

  commit(record: SpoolRecord): Promise<AcceptResult> {
    if (this.#state.stopped) return Promise.reject(shuttingDown());
    return this.#groupCommit.commit(record);
  }

  /** True while this instance holds its spool's lock and uses the spool (false from a loss until the replay after the regain). */
  lockHeld(): boolean {
    return this.#holder !== undefined && this.#lock.held();
  }

  /** The lock's state and history, for /metrics. */
  lockState(): { readonly held: boolean; readonly losses: number; readonly regains: number } {
    return { held: this.lockHeld(), losses: this.#lockLosses, regains: this.#lockRegains };
  }

  /** Arrivals acknowledged whose folders are not written yet (for tests and /metrics). */
  backlog(): number {
    return this.#drain.backlog();
  }

  /** Resolves true when every acknowledged arrival has its durable folder, false if `timeoutMs` passes first. */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#groupCommit.busy() || this.#drain.running() !== undefined || this.#resuming !== undefined || (this.backlog() > 0 && !this.#state.halted)) {
      if (Date.now() >= deadline) return false;
      const busy = [...this.#groupCommit.recording(), this.#drain.running(), this.#resuming].filter((work) => work !== undefined);
      await Promise.race([...busy, delay(Math.min(20, Math.max(1, deadline - Date.now())))]);
    }
    return true;
  }

  /**
   * Stops taking arrivals, finishes the batches in flight and writes the folders still due (up
   * to `graceMs`); what is left stays in its segment and is replayed at the next start. The lock
   * is released only once nothing of this instance touches the spool any more.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#state.stopped = true;
    // The SMTP listener has stopped first, so nothing should be waiting; anything that is was never acknowledged.
    this.#groupCommit.rejectWaiting(shuttingDown());
    if (this.#holder === undefined && this.#resuming === undefined) {
      // Nothing can be drained without the lock: no point in waiting out the grace.
      this.#deps.logger.warn('stopping without the spool lock: the next start (or the instance holding it) writes the folders still due', {
        backlog: this.backlog(),
      });
    } else if (!(await this.settled(graceMs))) {
      this.#deps.logger.warn('stopping with arrivals still in the spool: the next start writes their folders', { backlog: this.backlog() });
    }
    this.#state.halted = true;
    await Promise.allSettled([...this.#groupCommit.recording(), this.#drain.running(), this.#resuming, this.#groupCommit.appended()]);
    await this.#writer.close();
    await this.#segments.closeAll();
    await this.#lock.release();
  }

  /** Queues every record of the segments on disk for the drain; says how many. */
  async #replay(generation: number): Promise<number> {
    const { segments, items } = await replaySpoolSegments({ deps: this.#deps, segments: this.#segments, generation });
    if (generation !== this.#state.generation) return 0;
    if (items.length > 0) this.#deps.logger.info('replaying the spool', { segments, records: items.length, afterLockLoss: generation > 0 });
    this.#drain.add(items);
    return items.length;
  }

  #lockLost(): void {
    this.#state.generation += 1;
    this.#holder = undefined;
    this.#lockLosses += 1;
  }

  #lockRegained(holder: SpoolLockHolder): void {
    const previous = this.#resuming;
    const resuming: Promise<void> = (async () => {
      await previous;
      await this.#resume(holder);
    })().finally(() => {
      if (this.#resuming === resuming) this.#resuming = undefined;
    });
    this.#resuming = resuming;
  }

  /**
   * Makes the spool usable again under a regained lock. Nothing in memory is trusted: another
   * instance with the same node name may have held the lock meanwhile, replayed these segments,
   * written their folders and deleted them. So the work of before the loss ends first (the drain
   * stops at its next step, an append in flight finishes and is refused by the pipeline), then
   * everything is forgotten and the spool is replayed from its files, as at a start.
   */
  async #resume(holder: SpoolLockHolder): Promise<void> {
    const generation = this.#state.generation;
    await Promise.allSettled([this.#drain.running(), this.#groupCommit.appended()]);
    while (generation === this.#state.generation && !this.#state.stopped) {
      try {
        this.#drain.forget();
        await this.#segments.forget();
        const records = await this.#replay(generation);
        if (generation !== this.#state.generation || this.#state.stopped) return;
        this.#holder = holder;
        this.#lockRegains += 1;
        this.#deps.logger.info('the spool is in use again', { replayedRecords: records });
        return;
      } catch (error) {
        this.#deps.logger.warn('replaying the spool after the lock was taken again failed; trying again', { error: String(error) });
        await delay(RESUME_RETRY_MS);
      }
    }
  }
}

function shuttingDown(): IngestError {
  return new IngestError('SHUTTING_DOWN', 'the service is shutting down', { transient: true });
}
