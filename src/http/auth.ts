import type { Kysely } from 'kysely';
import type { Middleware } from 'koa';
import { findActiveApiKey, type ApiKeyIdentity } from '../db/api-keys-repository.js';
import type { Database } from '../db/database-schema.js';
import { IngestError } from '../pipeline/ingest-error.js';

export interface AuthState {
  caller: ApiKeyIdentity;
}

const MAX_KEY_LENGTH = 512;

/**
 * `X-Api-Key` (the seed's header) for every /api route. A missing, unknown or revoked key gets the
 * same 401 body whatever its length, so the answer leaks nothing. Keys are never logged.
 */
export function requireApiKey(db: Kysely<Database>): Middleware<AuthState> {
  return async (ctx, next) => {
    const presented = ctx.get('X-Api-Key');
    const caller = presented === '' || presented.length > MAX_KEY_LENGTH ? undefined : await findActiveApiKey(db, presented);
    if (caller === undefined) throw new IngestError('UNAUTHORIZED', 'a valid X-Api-Key header is required', { expose: true });
    ctx.state.caller = caller;
    await next();
  };
}

/** The customer a caller may see: admin keys any (or the one asked for), customer keys only their own. */
export function customerScope(caller: ApiKeyIdentity, requested: string | undefined): string | undefined {
  if (caller.role === 'admin') return requested;
  return caller.customer ?? '\0none';
}
