import { sql, type Kysely } from 'kysely';

/**
 * A job's parse issues (values kept raw, lines skipped, files left out), written with the job's
 * completion: `{ "count": n, "items": [{ "file", "line", "what", "raw" }, …] }`, the first few
 * hundred listed and all counted (src/modules/parse-issue-log.ts). A column rather than a table:
 * the list is bounded, always read whole with the job, and written in the same UPDATE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN parse_issues jsonb`.execute(db);
  await sql`COMMENT ON COLUMN jobs.parse_issues IS 'Parse issues of the last finished run: {count, items:[{file,line,what,raw}]} (first items only)'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs DROP COLUMN parse_issues`.execute(db);
}
