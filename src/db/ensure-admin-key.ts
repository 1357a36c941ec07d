import type { Kysely } from 'kysely';
import { countActiveAdminKeys, createApiKey, hasApiKeyHash } from './api-keys-repository.js';
import type { Database } from './database-schema.js';

/**
 * Makes sure an admin can reach the API. A configured DP_ADMIN_API_KEY is stored (as its hash)
 * if new; with none configured and no admin key yet, one is generated and returned so the caller
 * can print it once. Returns null when nothing needs printing.
 */
export async function ensureAdminKey(db: Kysely<Database>, configuredKey: string | null): Promise<string | null> {
  if (configuredKey !== null) {
    if (!(await hasApiKeyHash(db, configuredKey))) await createApiKey(db, { customerId: null, label: 'bootstrap (DP_ADMIN_API_KEY)', key: configuredKey });
    return null;
  }
  if ((await countActiveAdminKeys(db)) > 0) return null;
  const { key } = await createApiKey(db, { customerId: null, label: 'bootstrap (generated at first start)' });
  return key;
}
