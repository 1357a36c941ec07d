import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The database session holding a spool lock: its backend pid and start time (pids are reused, the pair is not). */
export interface SpoolLockSession {
  readonly pid: number;
  /** backend_start in microseconds since the epoch, as text: exact, where a Date would drop the microseconds. */
  readonly startedMicros: string;
}

/**
 * Tries the session advisory lock of one node's spool on `connection` (a connection kept for it).
 * The session when taken, undefined when another session holds it.
 */
export async function tryTakeSpoolLock(connection: Db, node: string): Promise<SpoolLockSession | undefined> {
  const { rows } = await sql<{ locked: boolean; pid: number; started: string }>`
    SELECT pg_try_advisory_lock(hashtextextended(${lockKey(node)}, 0)) AS locked, pg_backend_pid() AS pid,
      (SELECT ${startedMicros('backend_start')} FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS started`.execute(connection);
  const row = rows[0];
  return row?.locked === true ? { pid: row.pid, startedMicros: row.started } : undefined;
}

/** Answers on the connection holding the lock (it is checked now and then: a dead one lost the lock). */
export async function pingSpoolLockSession(connection: Db): Promise<void> {
  await sql`SELECT 1`.execute(connection);
}

/**
 * Ends the lock's session from another connection: a session whose connection stopped answering
 * must not live on (holding the lock) and go back to the pool. Matched by pid and start time, so a
 * reused pid is never hit. True when it was ended.
 */
export async function terminateSpoolLockSession(db: Db, session: SpoolLockSession): Promise<boolean> {
  const { rows } = await sql<{ ended: boolean }>`
    SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
    WHERE pid = ${session.pid} AND ${startedMicros('backend_start')} = ${session.startedMicros}`.execute(db);
  return rows[0]?.ended === true;
}

export async function releaseSpoolLock(connection: Db, node: string): Promise<void> {
  await sql`SELECT pg_advisory_unlock(hashtextextended(${lockKey(node)}, 0))`.execute(connection);
}

/**
 * True when `session` holds the spool lock of `node` right now, seen from any other session (a
 * fence inside the transaction that commits spooled jobs). A bigint advisory lock shows in
 * pg_locks as its high and low 32 bits (classid, objid) with objsubid 1.
 */
export async function isSpoolLockHeldBy(db: Db, args: { readonly node: string; readonly session: SpoolLockSession }): Promise<boolean> {
  const key = lockKey(args.node);
  const { rows } = await sql<{ held: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid = ${args.session.pid}
        AND ${startedMicros('a.backend_start')} = ${args.session.startedMicros}
        AND l.classid = ((hashtextextended(${key}, 0) >> 32) & 4294967295)::oid
        AND l.objid = (hashtextextended(${key}, 0) & 4294967295)::oid
    ) AS held`.execute(db);
  return rows[0]?.held === true;
}

function startedMicros(column: string): ReturnType<typeof sql.raw> {
  return sql.raw(`(extract(epoch FROM ${column}) * 1000000)::bigint::text`);
}

function lockKey(node: string): string {
  return `spool:${node}`;
}
