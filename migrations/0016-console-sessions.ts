import { sql, type Kysely } from 'kysely';

/**
 * Console sessions (issue #14): an operator signs in to /console with an API key once and gets a
 * random session token in a cookie. Only the token's SHA-256 is stored (a copy of this table
 * signs nobody in). A session belongs to the key it was opened with: revoking the key (or
 * deleting it, or its customer) ends the session, since every lookup joins the active key.
 * Rows past `expires_at` are refused at once and deleted at the next sign-in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE console_sessions (
      token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      api_key_id bigint NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`.execute(db);
  await sql`COMMENT ON TABLE console_sessions IS 'Signed-in /console sessions: SHA-256 of the cookie token, the API key it acts as, expiry'`.execute(db);
  await sql`CREATE INDEX console_sessions_key_idx ON console_sessions (api_key_id)`.execute(db);
  await sql`CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE console_sessions`.execute(db);
}
