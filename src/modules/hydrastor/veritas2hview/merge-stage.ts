import { sql, type Transaction } from 'kysely';
import type { Database } from '../../../db/database-schema.js';
import { targetColumns, type StageTable } from './copy-columns.js';
import { OBSERVED_LATER } from './observation-order.js';

export interface MergeStageArgs {
  readonly trx: Transaction<Database>;
  readonly stage: StageTable<never>;
  /** Constant table name. */
  readonly target: string;
  /** Target columns that, after `master_server_id`, form its primary key (named as in the stage). */
  readonly keyColumns: readonly string[];
  /**
   * Condition an existing row must meet to be updated (constant SQL over `existing`/`excluded`):
   * at least "the export is not older than the row's" (observation-order.ts), so that an older
   * export only inserts rows that are missing.
   */
  readonly updateGuard: string;
  /**
   * Also move `observed_at` forward on rows a newer export lists unchanged. For the small
   * listing tables: without it, an older export arriving after two newer ones that agreed would
   * compare against a stale time and overwrite their values.
   */
  readonly refreshObservedAt?: boolean;
  /** The export's observation time, written to `observed_at` of every row it inserts or changes. */
  readonly observedAt: Date | null;
  readonly masterServerId: string;
  readonly jobId: string;
}

/**
 * Merges a staging table into its target in one statement: new keys are inserted, existing rows
 * take the staged values only when something differs and the guard allows it, so loading the
 * same export twice writes nothing and `last_job_id` names the job that last changed the row.
 * For jobs and images, a newer export that lists a row unchanged leaves it alone (its
 * `observed_at` stays that of the export that last changed it): rewriting millions of unchanged
 * jobs per export would cost more than the rare case it would settle (an older export with other
 * values arriving after both); listings take `refreshObservedAt`.
 * Returns the rows inserted or changed, counted in the database rather than returned row by row.
 */
export async function mergeStage(args: MergeStageArgs): Promise<number> {
  const columns = targetColumns(args.stage);
  const names = columns.map((target) => target.name);
  const keys = new Set(args.keyColumns);
  const values = names.filter((name) => !keys.has(name));
  const assignments = [
    ...values.map((name) => `${name} = excluded.${name}`),
    'observed_at = excluded.observed_at',
    'last_job_id = excluded.last_job_id',
    'updated_at = now()',
  ];
  // Tested first: an unchanged row (every row when an export is loaded again) needs no guard.
  const differs = `ROW(${values.map((name) => `existing.${name}`).join(', ')}) IS DISTINCT FROM ROW(${values.map((name) => `excluded.${name}`).join(', ')})`;
  const changed = args.refreshObservedAt === true ? `(${differs} OR ${OBSERVED_LATER})` : differs;
  const result = await sql<{ written: number }>`
    WITH written AS (
      INSERT INTO ${sql.raw(args.target)} AS existing (master_server_id, ${sql.raw(names.join(', '))}, observed_at, last_job_id)
      SELECT ${args.masterServerId}::bigint, ${sql.raw(columns.map((target) => target.value).join(', '))},
        ${args.observedAt?.toISOString() ?? null}::timestamptz, ${args.jobId}::uuid
      FROM ${sql.raw(args.stage.name)} AS staged
      ON CONFLICT (master_server_id, ${sql.raw(args.keyColumns.join(', '))}) DO UPDATE SET ${sql.raw(assignments.join(', '))}
      WHERE ${sql.raw(changed)} AND (${sql.raw(args.updateGuard)})
      RETURNING 1
    )
    SELECT count(*)::integer AS written FROM written`.execute(args.trx);
  return result.rows[0]?.written ?? 0;
}
