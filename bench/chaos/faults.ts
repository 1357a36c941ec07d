import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosDatabase } from './chaos-database.js';
import type { Ledger } from './ledger.js';

const POLL_MS = 1000;

/** One injected fault and how the service came back from it (times in ms since the run started). */
export interface Fault {
  readonly kind: 'kill' | 'db-outage' | 'disk-full' | 'restart';
  readonly label: string;
  /** When it was injected. */
  readonly at: number;
  /** When the cause was gone: the service listening again, PostgreSQL back, the space freed. */
  recoveredAt: number | null;
  /** Wall-clock time of `recoveredAt`, to compare with the jobs' created_at. */
  recoveredWallMs: number | null;
  /** Until no job created before `recoveredAt` was staging/queued/running any more, ms after `recoveredAt`. */
  drainMs: number | null;
  /** Whether the drain wait gave up (bounded). */
  drainGaveUp: boolean;
  readonly notes: string[];
}

export function newFault(ledger: Ledger, kind: Fault['kind'], label: string): Fault {
  return { kind, label, at: ledger.now(), recoveredAt: null, recoveredWallMs: null, drainMs: null, drainGaveUp: false, notes: [] };
}

export function markRecovered(ledger: Ledger, fault: Fault): void {
  fault.recoveredAt = ledger.now();
  fault.recoveredWallMs = Date.now();
}

/**
 * Measures, for every fault, how long the backlog it left took to clear: the jobs created
 * before the recovery point that were still staging, queued or running. Polls the database
 * once a second while the run goes on (a later fault may lengthen an earlier one's drain: it
 * is measured as it happened). Gives up on a fault after `boundMs`.
 */
export class DrainMonitor {
  readonly #database: ChaosDatabase;
  readonly #ledger: Ledger;
  readonly #boundMs: number;
  readonly #faults: Fault[] = [];
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(args: { readonly database: ChaosDatabase; readonly ledger: Ledger; readonly boundMs: number }) {
    this.#database = args.database;
    this.#ledger = args.ledger;
    this.#boundMs = args.boundMs;
  }

  watch(fault: Fault): void {
    this.#faults.push(fault);
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#poll();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #poll(): Promise<void> {
    while (this.#running) {
      await this.pollOnce();
      await sleep(POLL_MS);
    }
  }

  /** One round over the faults whose backlog is not empty yet (also called once more at the end). */
  async pollOnce(): Promise<void> {
    for (const fault of this.#faults) {
      if (fault.recoveredAt === null || fault.recoveredWallMs === null || fault.drainMs !== null || fault.drainGaveUp) continue;
      if (this.#ledger.now() - fault.recoveredAt > this.#boundMs) {
        fault.drainGaveUp = true;
        continue;
      }
      try {
        const [row] = await this.#database.query<{ n: string }>(
          `SELECT count(*) AS n FROM jobs WHERE status IN ('staging', 'queued', 'running') AND created_at <= to_timestamp($1::float8 / 1000)`,
          [fault.recoveredWallMs],
        );
        if (Number(row?.n ?? '1') === 0) fault.drainMs = this.#ledger.now() - fault.recoveredAt;
      } catch {
        // The database is down (outage phase): try again at the next round.
      }
    }
  }
}
