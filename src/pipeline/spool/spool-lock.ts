import type { Kysely } from 'kysely';
import { setTimeout as delay } from 'node:timers/promises';
import type { Database } from '../../db/database-schema.js';
import { pingSpoolLockSession, releaseSpoolLock, terminateSpoolLockSession, tryTakeSpoolLock, type SpoolLockSession } from '../../db/spool-lock-repository.js';
import type { Logger } from '../../logging/logging.js';

/** The database session holding the lock for this instance: a new one after every regain (the spool's fencing token). */
export type SpoolLockHolder = SpoolLockSession;

/** What the spool hears from its lock (synchronous: the spool only switches state and starts its own work). */
export interface SpoolLockEvents {
  /** The session holding the lock ended (the database restarted, the connection was cut): the lock went with it. */
  lost(): void;
  /** Taken again, on a new session. Another instance may have owned the spool meanwhile. */
  regained(holder: SpoolLockHolder): void;
}

export interface SpoolLock {
  /** False from a loss until the lock is taken again. */
  held(): boolean;
  holder(): SpoolLockHolder | undefined;
  release(): Promise<void>;
}

/** How often the connection holding the lock is checked, so a lost lock is noticed. */
const CHECK_INTERVAL_MS = 5000;
const CHECK_TIMEOUT_MS = 10_000;
/** How long an ended session's pending ping is given to fail, so its connection leaves the pool. */
const TERMINATED_PING_WAIT_MS = 2000;
/** Pause between attempts to take a lost lock again while the database cannot be reached: a refused connection costs nothing, and mail waits. */
const RETAKE_INTERVAL_MS = 1000;
/** Pause while another session holds it (an instance started with the same node name during the outage). */
const HELD_ELSEWHERE_INTERVAL_MS = 5000;

/**
 * Takes the session advisory lock of one node's spool and keeps it on a connection of its own
 * for as long as the spool is open. Undefined when another instance holds it at start. Once
 * held, a lost lock (its session ended) is reported and taken again as soon as the database
 * lets us, for as long as the spool is open.
 */
export async function holdSpoolLock(args: {
  readonly db: Kysely<Database>;
  readonly node: string;
  readonly logger: Logger;
  readonly events: SpoolLockEvents;
}): Promise<SpoolLock | undefined> {
  const keeper = new SpoolLockKeeper(args);
  return (await keeper.start()) ? keeper : undefined;
}

interface TakenLock {
  readonly holder: SpoolLockHolder;
  /** Resolves when released, rejects when lost. */
  readonly session: Promise<void>;
}

class SpoolLockKeeper implements SpoolLock {
  readonly #db: Kysely<Database>;
  readonly #node: string;
  readonly #logger: Logger;
  readonly #events: SpoolLockEvents;
  #holder: SpoolLockHolder | undefined;
  #releasing = false;
  readonly #released: Promise<void>;
  #release!: () => void;
  #keeping: Promise<void> = Promise.resolve();

  constructor(args: { readonly db: Kysely<Database>; readonly node: string; readonly logger: Logger; readonly events: SpoolLockEvents }) {
    this.#db = args.db;
    this.#node = args.node;
    this.#logger = args.logger;
    this.#events = args.events;
    this.#released = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
  }

  /** True when the lock is taken (and kept from now on). */
  async start(): Promise<boolean> {
    const taken = await this.#take().catch(() => undefined);
    if (taken === undefined) return false;
    this.#keeping = this.#keep(taken.session);
    return true;
  }

  held(): boolean {
    return this.#holder !== undefined;
  }

  holder(): SpoolLockHolder | undefined {
    return this.#holder;
  }

  async release(): Promise<void> {
    this.#releasing = true;
    this.#release();
    await this.#keeping;
  }

  /** Waits for the session to end; while not releasing, reports the loss and takes the lock again. */
  async #keep(first: Promise<void>): Promise<void> {
    let session = first;
    for (;;) {
      const failure = await session.then(
        () => undefined,
        (error: unknown) => error,
      );
      if (this.#releasing) return;
      const lostAt = Date.now();
      this.#logger.error(
        'the spool lock was lost (its database session ended): small arrivals take the folder path and the spool waits until the lock is taken again',
        { node: this.#node, error: String(failure) },
      );
      this.#events.lost();
      const next = await this.#retake();
      if (next === undefined) return;
      session = next.session;
      if (this.#releasing) {
        await session.catch(() => undefined);
        return;
      }
      this.#logger.info('the spool lock was taken again: replaying the spool before using it', { node: this.#node, lostForMs: Date.now() - lostAt });
      this.#events.regained(next.holder);
    }
  }

  async #retake(): Promise<TakenLock | undefined> {
    let heldElsewhere = false;
    while (!this.#releasing) {
      await Promise.race([this.#released, delay(heldElsewhere ? HELD_ELSEWHERE_INTERVAL_MS : RETAKE_INTERVAL_MS, undefined, { ref: false })]);
      if (this.#releasing) return undefined;
      let taken: TakenLock | undefined;
      try {
        taken = await this.#take();
      } catch {
        heldElsewhere = false; // the database is still out of reach
        continue;
      }
      if (taken !== undefined) return taken;
      if (!heldElsewhere)
        this.#logger.warn('the spool lock is held by another session (an instance with the same node name?): trying again', { node: this.#node });
      heldElsewhere = true;
    }
    return undefined;
  }

  /**
   * Pings the lock's connection. One that does not answer in time is ended on the server from
   * another connection before the failure is reported: otherwise its session (still holding the
   * lock, if only slow) would go back to the pool and keep the lock from every later attempt.
   */
  async #check(connection: Kysely<Database>, holder: SpoolLockHolder): Promise<void> {
    const ping = pingSpoolLockSession(connection);
    const answered = await Promise.race([ping.then(() => true), delay(CHECK_TIMEOUT_MS, false, { ref: false })]);
    if (answered) return;
    await Promise.race([terminateSpoolLockSession(this.#db, holder).catch(() => false), delay(CHECK_TIMEOUT_MS, false, { ref: false })]);
    // Once ended, the pending ping fails too and the pool drops the connection instead of reusing it.
    await Promise.race([ping.catch(() => undefined), delay(TERMINATED_PING_WAIT_MS, undefined, { ref: false })]);
    throw new Error('the spool lock connection does not answer');
  }

  /**
   * One attempt on a connection of its own. Undefined when another session holds the lock; else
   * the holder and the session, which resolves when released and rejects when lost. Rejects if
   * the database cannot be reached.
   */
  async #take(): Promise<TakenLock | undefined> {
    let taken!: (locked: boolean) => void;
    let holder: SpoolLockHolder | undefined;
    const outcome = new Promise<boolean>((resolve) => {
      taken = resolve;
    });
    const session = this.#db.connection().execute(async (connection) => {
      holder = await tryTakeSpoolLock(connection, this.#node);
      if (holder === undefined) {
        taken(false);
        return;
      }
      this.#holder = holder;
      taken(true);
      try {
        while (!this.#releasing) {
          await Promise.race([this.#released, delay(CHECK_INTERVAL_MS, undefined, { ref: false })]);
          // A connection that no longer answers (half-open TCP) may have lost the lock on the server.
          if (!this.#releasing) await this.#check(connection, holder);
        }
        await releaseSpoolLock(connection, this.#node);
      } finally {
        this.#holder = undefined;
      }
    });
    const ended = session.then(() => false);
    ended.catch(() => undefined); // a later loss is the keeper's business, not an unhandled rejection
    const locked = await Promise.race([outcome, ended]);
    // Wrapped: an async function returning the session itself would wait for it to end.
    return locked && holder !== undefined ? { holder, session } : undefined;
  }
}
