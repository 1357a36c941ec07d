import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { targetColumns, type StageTable } from './copy-columns.js';

export interface MergeStageArgs {
  readonly trx: Transaction<Database>;
  readonly stage: StageTable<never>;
  /** Constant table name. */
  readonly target: string;
  /** Target columns that, after `master_server_id`, form its primary key (named as in the stage). */
  readonly keyColumns: readonly string[];
  /** Extra condition an existing row must meet to be updated (constant SQL over `existing`/`excluded`). */
  readonly updateGuard?: string;
  readonly masterServerId: string;
  readonly jobId: string;
}

/**
 * Merges a staging table into its target in one statement: new keys are inserted, existing rows
 * take the staged values only when something differs (and the guard allows it), so loading the
 * same export twice writes nothing and `last_job_id` names the job that last changed the row.
 * Returns the rows inserted or changed, counted in the database rather than returned row by row.
 */
export async function mergeStage(args: MergeStageArgs): Promise<number> {
  const columns = targetColumns(args.stage);
  const names = columns.map((target) => target.name);
  const keys = new Set(args.keyColumns);
  const values = names.filter((name) => !keys.has(name));
  const assignments = [...values.map((name) => `${name} = excluded.${name}`), 'last_job_id = excluded.last_job_id', 'updated_at = now()'];
  const changed = `ROW(${values.map((name) => `existing.${name}`).join(', ')}) IS DISTINCT FROM ROW(${values.map((name) => `excluded.${name}`).join(', ')})`;
  const condition = args.updateGuard === undefined ? changed : `(${args.updateGuard}) AND ${changed}`;
  const result = await sql<{ written: number }>`
    WITH written AS (
      INSERT INTO ${sql.raw(args.target)} AS existing (master_server_id, ${sql.raw(names.join(', '))}, last_job_id)
      SELECT ${args.masterServerId}::bigint, ${sql.raw(columns.map((target) => target.value).join(', '))}, ${args.jobId}::uuid
      FROM ${sql.raw(args.stage.name)} AS staged
      ON CONFLICT (master_server_id, ${sql.raw(args.keyColumns.join(', '))}) DO UPDATE SET ${sql.raw(assignments.join(', '))}
      WHERE ${sql.raw(condition)}
      RETURNING 1
    )
    SELECT count(*)::integer AS written FROM written`.execute(args.trx);
  return result.rows[0]?.written ?? 0;
}
