import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.js';

const KEY_PREFIX = 'dp_';
const KEY_BYTES = 32;

/** Only this digest of a key is ever stored or compared; the key itself is shown once at creation. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export interface ApiKeyIdentity {
  readonly keyId: string;
  readonly role: 'admin' | 'customer';
  /** The customer's slug for customer keys; null for admin keys. */
  readonly customer: string | null;
  readonly label: string;
  /** A customer key whose customer is disabled (migration 0011): the API refuses it. */
  readonly customerDisabled: boolean;
}

export async function createApiKey(
  db: Kysely<Database>,
  args: { readonly customerId: string | null; readonly label: string; readonly key?: string },
): Promise<{ key: string; id: string }> {
  const key = args.key ?? `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      key_hash: hashApiKey(key),
      customer_id: args.customerId,
      role: args.customerId === null ? 'admin' : 'customer',
      label: args.label,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { key, id: row.id };
}

/**
 * Looks a presented key up by its SHA-256 digest. The lookup is an index probe on a fixed-length
 * digest, so its timing says nothing about how much of a key was right; the found digest is then
 * compared in constant time as well (digests always have the same length: no length oracle).
 */
export async function findActiveApiKey(db: Kysely<Database>, presentedKey: string): Promise<ApiKeyIdentity | undefined> {
  const presentedHash = hashApiKey(presentedKey);
  const row = await db
    .selectFrom('api_keys')
    .leftJoin('customers', 'customers.id', 'api_keys.customer_id')
    .select(['api_keys.id', 'api_keys.role', 'api_keys.label', 'api_keys.key_hash', 'customers.slug', 'customers.disabled_at'])
    .where('api_keys.key_hash', '=', presentedHash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined || !digestsEqual(row.key_hash, presentedHash)) return undefined;
  return { keyId: row.id, role: row.role, customer: row.slug ?? null, label: row.label, customerDisabled: row.disabled_at != null };
}

/** Constant-time equality of two SHA-256 digests; anything not 32 bytes long is simply unequal. */
export function digestsEqual(stored: Buffer, presented: Buffer): boolean {
  return stored.length === SHA256_BYTES && presented.length === SHA256_BYTES && timingSafeEqual(stored, presented);
}

const SHA256_BYTES = 32;

/** What the admin API shows of a key: never its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly role: 'admin' | 'customer';
  readonly customer: string | null;
  readonly label: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export async function listApiKeys(db: Kysely<Database>, args: { readonly customerId?: string; readonly includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
  let query = db
    .selectFrom('api_keys')
    .leftJoin('customers', 'customers.id', 'api_keys.customer_id')
    .select(['api_keys.id', 'api_keys.role', 'api_keys.label', 'api_keys.created_at', 'api_keys.revoked_at', 'customers.slug']);
  if (args.customerId !== undefined) query = query.where('api_keys.customer_id', '=', args.customerId);
  if (args.includeRevoked !== true) query = query.where('api_keys.revoked_at', 'is', null);
  const rows = await query.orderBy('api_keys.id').execute();
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    customer: row.slug ?? null,
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  }));
}

export async function findApiKeyById(db: Kysely<Database>, id: string): Promise<ApiKeyInfo | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const row = await db
    .selectFrom('api_keys')
    .leftJoin('customers', 'customers.id', 'api_keys.customer_id')
    .select(['api_keys.id', 'api_keys.role', 'api_keys.label', 'api_keys.created_at', 'api_keys.revoked_at', 'customers.slug'])
    .where('api_keys.id', '=', id)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { id: row.id, role: row.role, customer: row.slug ?? null, label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at };
}

export async function hasApiKeyHash(db: Kysely<Database>, key: string): Promise<boolean> {
  const row = await db.selectFrom('api_keys').select('id').where('key_hash', '=', hashApiKey(key)).executeTakeFirst();
  return row !== undefined;
}

export async function countActiveAdminKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('role', '=', 'admin')
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Revocation takes effect on the next request: every request looks the key up again. */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
