import { sql, type Kysely } from 'kysely';
import type { Database } from './database-schema.js';

/**
 * Resolves when the database answers a trivial query within `timeoutMs`; rejects otherwise.
 * Readiness must answer quickly even when the pool is exhausted or the server hangs.
 */
export async function pingDatabase(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`SELECT 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
