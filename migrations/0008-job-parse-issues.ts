import { sql, type Kysely } from 'kysely';

/**
 * A job's parse issues (values kept raw, lines skipped, files left out), written with the job's
 * completion: `{ "count": n, "items": [{ "file", "line", "what", "raw" }, …] }`, the first few
 * hundred listed and all counted (src/modules/parse-issue-log.ts). A column rather than a table:
 * the list is bounded, always read whole with the job, and written in the same UPDATE.
 * And `veritas_images.extra`, where bpimagelist values that do not fit their column are kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN parse_issues jsonb`.execute(db);
  await sql`COMMENT ON COLUMN jobs.parse_issues IS 'Parse issues of the last finished run: {count, items:[{file,line,what,raw}]} (first items only)'`.execute(
    db,
  );
  // bpimagelist values that do not fit their column are kept as written, like bpdbjobs' (veritas_jobs.extra).
  await sql`ALTER TABLE veritas_images ADD COLUMN extra jsonb`.execute(db);
  await sql`COMMENT ON COLUMN veritas_images.extra IS 'Values of the IMAGE line (field<N>) and its FRAG lines (frag_<copy>_<fragment>_field<N>) that did not fit their column, as written'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE veritas_images DROP COLUMN extra`.execute(db);
  await sql`ALTER TABLE jobs DROP COLUMN parse_issues`.execute(db);
}
