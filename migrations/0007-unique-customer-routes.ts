import { sql, type Kysely } from 'kysely';

/**
 * One owner per route. A customer's ingest addresses and S3 prefixes live in arrays on its row,
 * which no unique index can cover, so each is also a row here under a primary key: two customers
 * can never commit the same address or prefix, however concurrent the writes (the slower one
 * fails with 23505 and the API answers 409). The repository rewrites a customer's rows in the same
 * transaction as the customer itself. Clashes that depend on the ingest domains (an address whose
 * local part is another customer's slug) are checked under an advisory lock by the repository.
 *
 * Existing rows are copied in id order; a route two customers already share stays with the
 * older one here, and routing refuses it (RECIPIENT_AMBIGUOUS) until an admin resolves it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE customer_routes (
      kind text NOT NULL CHECK (kind IN ('address', 's3_prefix')),
      route text NOT NULL,
      customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
      PRIMARY KEY (kind, route)
    )`.execute(db);
  await sql`CREATE INDEX customer_routes_customer_idx ON customer_routes (customer_id)`.execute(db);
  // The same normal forms as the code: addresses lower-cased without the root's trailing dot,
  // prefixes without surrounding slashes.
  await sql`
    INSERT INTO customer_routes (kind, route, customer_id)
    SELECT 'address', lower(regexp_replace(btrim(address), '\\.$', '')), id
    FROM customers, unnest(ingest_addresses) AS address
    ORDER BY id
    ON CONFLICT DO NOTHING`.execute(db);
  await sql`
    INSERT INTO customer_routes (kind, route, customer_id)
    SELECT 's3_prefix', regexp_replace(btrim(prefix), '^/+|/+$', '', 'g'), id
    FROM customers, unnest(s3_prefixes) AS prefix
    ORDER BY id
    ON CONFLICT DO NOTHING`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE customer_routes`.execute(db);
}
