import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosDatabase } from './chaos-database.js';
import type { ChaosOptions } from './chaos-options.js';
import type { ChaosService } from './chaos-service.js';
import type { DrainMonitor, Fault } from './faults.js';
import type { Ledger, MailItem } from './ledger.js';
import type { MailLoad } from './mail-load.js';
import type { SmallFileSystem } from './small-file-system.js';
import type { UploadLoad } from './upload-load.js';

export const CHAOS_CUSTOMER = 'chaos';
export const CHAOS_INGEST_DOMAIN = 'ingest.chaos.example';
export const CHAOS_RECIPIENT = `${CHAOS_CUSTOMER}@${CHAOS_INGEST_DOMAIN}`;
export const CHAOS_SENDER = 'hydrastor@grid.chaos.example';
export const CHAOS_GROUP = 'chaos_grid';
/** smtp.maxMessageBytes (the default) and the SMTP low-space gate the service derives from it (1.5 ×). */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
export const SMTP_GATE_BYTES = 1.5 * MAX_MESSAGE_BYTES;

/** Everything the phases share. */
export interface ChaosRun {
  readonly options: ChaosOptions;
  readonly ledger: Ledger;
  readonly database: ChaosDatabase;
  readonly service: ChaosService;
  readonly mailLoad: MailLoad;
  readonly uploadLoad: UploadLoad;
  readonly drains: DrainMonitor;
  /** The tmpfs under the data root, or why there is none. */
  readonly fileSystem: SmallFileSystem | string;
  readonly smtpPort: number;
  readonly faults: Fault[];
  /** Phases that could not run, with the reason. */
  readonly skipped: Array<{ readonly phase: string; readonly reason: string }>;
  readonly random: () => number;
  /** A new mail from the same endless source as the load (registered in the ledger), padded to `padToBytes` if given. */
  nextMail(padToBytes?: number): MailItem;
  log(line: string): void;
}

/** Reproducible from the printed seed (the mail generator's own). */
export { seededRandom } from '../generate-mails.js';

export function uniform(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/**
 * Waits until the first acknowledgement of `kind` at or after `since` (ms since start), at most
 * `boundMs`; returns how long after `since` it came, or null.
 */
export async function waitForAck(run: ChaosRun, kind: 'mail' | 'upload', since: number, boundMs: number): Promise<number | null> {
  for (;;) {
    const at = run.ledger.firstAckAfter(kind, since);
    if (at !== null) return at - since;
    if (run.ledger.now() - since > boundMs) return null;
    await sleep(100);
  }
}

/** Jobs by status (null while the database cannot be reached). */
export async function jobCounts(run: ChaosRun): Promise<Record<string, number> | null> {
  try {
    const rows = await run.database.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM jobs GROUP BY status');
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  } catch {
    return null;
  }
}

export function seconds(ms: number | null): string {
  return ms === null ? '-' : (ms / 1000).toFixed(1);
}
