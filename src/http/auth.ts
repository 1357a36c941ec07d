import type { Kysely } from 'kysely';
import type { Middleware } from 'koa';
import { findActiveApiKey, type ApiKeyIdentity } from '../db/api-keys-repository.js';
import type { Database } from '../db/database-schema.js';
import { IngestError } from '../core/ingest-error.js';
import { forbidden } from './http-error.js';

export interface AuthState {
  caller: ApiKeyIdentity;
}

const MAX_KEY_LENGTH = 512;

/**
 * `X-Api-Key` (the seed's header) for every /api route. A missing, unknown or revoked key gets the
 * same 401 body whatever its length, so the answer leaks nothing. Keys are never logged. A key of
 * a disabled customer gets 403 `CUSTOMER_DISABLED` (uploads included).
 */
export function requireApiKey(db: Kysely<Database>): Middleware<AuthState> {
  return async (ctx, next) => {
    const presented = ctx.get('X-Api-Key');
    const caller = presented === '' || presented.length > MAX_KEY_LENGTH ? undefined : await findActiveApiKey(db, presented);
    if (caller === undefined) throw new IngestError('UNAUTHORIZED', 'a valid X-Api-Key header is required', { expose: true });
    // A disabled customer keeps its keys (enabling it again restores them) but cannot use them.
    if (caller.customerDisabled) throw new IngestError('CUSTOMER_DISABLED', `customer "${caller.customer ?? ''}" is disabled`, { expose: true });
    ctx.state.caller = caller;
    await next();
  };
}

/** Admin-only routes (customers, keys, replay): a customer key gets 403, before anything is looked up. */
export const requireAdmin: Middleware<AuthState> = async (ctx, next) => {
  if (ctx.state.caller.role !== 'admin') throw forbidden('this route needs an admin key');
  await next();
};

/** Customer keys act only on their customer's jobs; another customer's job is answered like a missing one. */
export function canSeeJob(caller: ApiKeyIdentity, job: { readonly customer: string; readonly status: string }): boolean {
  return job.status !== 'staging' && (caller.role === 'admin' || job.customer === caller.customer);
}
