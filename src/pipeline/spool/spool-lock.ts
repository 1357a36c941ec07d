import { sql, type Kysely } from 'kysely';
import { setTimeout as delay } from 'node:timers/promises';
import type { Database } from '../../db/database-schema.js';

export interface SpoolLock {
  /** False once the connection holding the lock is gone (the lock went with it). */
  held(): boolean;
  release(): Promise<void>;
}

/** How often the connection holding the lock is checked, so a lost lock is noticed. */
const CHECK_INTERVAL_MS = 5000;
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Takes the session advisory lock of one node's spool and keeps it on a connection of its own
 * for as long as the spool is open. Undefined when another instance holds it.
 */
export async function holdSpoolLock(db: Kysely<Database>, node: string): Promise<SpoolLock | undefined> {
  const key = `spool:${node}`;
  let held = false;
  let releasing = false;
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let acquired!: (locked: boolean) => void;
  const outcome = new Promise<boolean>((resolve) => { acquired = resolve; });
  const session = db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtextextended(${key}, 0)) AS locked`.execute(connection);
    held = rows[0]?.locked === true;
    acquired(held);
    if (!held) return;
    while (!releasing) {
      await Promise.race([released, delay(CHECK_INTERVAL_MS, undefined, { ref: false })]);
      // A connection that no longer answers (half-open TCP) may have lost the lock on the server.
      if (!releasing) await Promise.race([sql`SELECT 1`.execute(connection), delay(CHECK_TIMEOUT_MS, undefined, { ref: false }).then(() => { throw new Error('the spool lock connection does not answer'); })]);
    }
    await sql`SELECT pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(connection);
  }).catch(() => {
    acquired(false);
  }).finally(() => { held = false; });
  if (!(await outcome)) return undefined;
  return {
    held: () => held,
    async release() {
      releasing = true;
      release();
      await session;
    },
  };
}
