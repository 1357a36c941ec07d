import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ApiKeyIdentity } from './api-keys-repository.js';
import type { Database } from './database-schema.js';

/** Only this digest of a console session token is stored or looked up (like API keys). */
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A session's last_seen_at is written at most this often: a page view need not be a write. */
const TOUCH_EVERY_SECONDS = 60;

/** Opens a session for an API key; expired sessions of anyone are deleted on the way (a bounded table). */
export async function createConsoleSession(
  db: Kysely<Database>,
  args: { readonly tokenHash: Buffer; readonly apiKeyId: string; readonly expiresAt: Date },
): Promise<void> {
  await db
    .deleteFrom('console_sessions')
    .where('expires_at', '<=', sql<Date>`now()`)
    .execute();
  await db.insertInto('console_sessions').values({ token_hash: args.tokenHash, api_key_id: args.apiKeyId, expires_at: args.expiresAt }).execute();
}

/**
 * The identity a session acts as, while it is neither expired nor idle longer than `idleSeconds`
 * and its key is not revoked (the key is looked up with every request, as the API does with
 * X-Api-Key, so a revocation ends its sessions at once).
 */
export async function findConsoleSession(
  db: Kysely<Database>,
  args: { readonly tokenHash: Buffer; readonly idleSeconds: number },
): Promise<ApiKeyIdentity | undefined> {
  const row = await db
    .selectFrom('console_sessions')
    .innerJoin('api_keys', 'api_keys.id', 'console_sessions.api_key_id')
    .leftJoin('customers', 'customers.id', 'api_keys.customer_id')
    .select([
      'api_keys.id',
      'api_keys.role',
      'api_keys.label',
      'customers.slug',
      'customers.disabled_at',
      sql<boolean>`console_sessions.last_seen_at < now() - make_interval(secs => ${TOUCH_EVERY_SECONDS})`.as('stale'),
    ])
    .where('console_sessions.token_hash', '=', args.tokenHash)
    .where('console_sessions.expires_at', '>', sql<Date>`now()`)
    .where('console_sessions.last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${args.idleSeconds})`)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  if (row.stale)
    await db
      .updateTable('console_sessions')
      .set({ last_seen_at: sql<Date>`now()` })
      .where('token_hash', '=', args.tokenHash)
      .execute();
  return { keyId: row.id, role: row.role, customer: row.slug ?? null, label: row.label, customerDisabled: row.disabled_at != null };
}

/** Sign-out: the session is gone, whatever the browser keeps. */
export async function deleteConsoleSession(db: Kysely<Database>, tokenHash: Buffer): Promise<void> {
  await db.deleteFrom('console_sessions').where('token_hash', '=', tokenHash).execute();
}
