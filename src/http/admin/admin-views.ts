import type { ApiKeyInfo } from '../../db/api-keys-repository.js';
import type { CustomerRow, HoldRow } from '../../db/database-schema.js';

/** The public shape of a customer (an allow-list: the numeric row id stays internal). */
export function customerView(row: CustomerRow) {
  return {
    slug: row.slug,
    name: row.name,
    ingestAddresses: row.ingest_addresses,
    allowedSenders: row.allowed_senders,
    s3Prefixes: row.s3_prefixes,
    requireSenderAuth: row.require_sender_auth,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    disabled: row.disabled_at !== null,
    disabledAt: row.disabled_at?.toISOString() ?? null,
  };
}

/** A key as the admin API shows it: never the key, never its hash. */
export function apiKeyView(key: ApiKeyInfo) {
  return {
    id: key.id,
    role: key.role,
    customer: key.customer,
    label: key.label,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** A hold as the admin API and the CLI show it, with the number of jobs it holds now. */
export function holdView(hold: HoldRow, heldJobs: number) {
  return {
    id: hold.id,
    customer: hold.customer,
    category: hold.category,
    type: hold.type,
    group: hold.group_name,
    reason: hold.reason,
    createdBy: hold.created_by,
    createdAt: hold.created_at.toISOString(),
    heldJobs,
  };
}
