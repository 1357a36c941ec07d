import { sql, type Kysely } from 'kysely';

/**
 * Sender authentication per customer (issue #15).
 *
 * `customers.require_sender_auth`: the verdict a customer's mail must carry in a trusted
 * Authentication-Results header (`spf`, `dkim`, `dmarc` pass, or `any` of the three); NULL = none
 * (the seed's behaviour). Nullable, no default: adding it rewrites nothing. The CHECK keeps the
 * column to the values src/core/sender-auth-requirement.ts knows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE customers ADD COLUMN require_sender_auth text CHECK (require_sender_auth IN ('spf', 'dkim', 'dmarc', 'any'))`.execute(db);
  await sql`COMMENT ON COLUMN customers.require_sender_auth IS 'spf, dkim, dmarc or any: the passing verdict its mail needs from a trusted Authentication-Results header; NULL = none'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE customers DROP COLUMN require_sender_auth`.execute(db);
}
