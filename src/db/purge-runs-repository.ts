import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

// The purge's own bookkeeping (table purge_runs): one row per run, with its running totals, so an
// operator can see what a run removed even if the process died half-way. The jobs it acts on are
// in retention-repository.ts.

/** One line of a purge report: what went (or would go) of one customer's data of one kind. */
export interface PurgeTally {
  readonly customer: string;
  readonly kind: string;
  readonly count: number;
  readonly bytes: number;
}

/** One purge run as recorded: who ran it, why, and what it removed so far. */
export interface PurgeRunRow {
  readonly id: string;
  readonly node: string;
  readonly trigger: 'schedule' | 'pressure' | 'manual';
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly outcome: 'done' | 'stopped' | 'failed' | null;
  readonly error: string | null;
  readonly removed: readonly PurgeTally[];
}

/** Records a run at its start, with nothing removed yet. */
export async function insertPurgeRun(
  db: Db,
  args: { readonly node: string; readonly trigger: PurgeRunRow['trigger']; readonly dryRun: boolean },
): Promise<string> {
  const row = await db
    .insertInto('purge_runs')
    .values({ node: args.node, trigger: args.trigger, dry_run: args.dryRun, removed: '[]' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Saves the running totals (after every batch) and, once it ended, how. */
export async function updatePurgeRun(
  db: Db,
  args: { readonly id: string; readonly removed: readonly PurgeTally[]; readonly outcome?: 'done' | 'stopped' | 'failed'; readonly error?: string },
): Promise<void> {
  await db
    .updateTable('purge_runs')
    .set({
      removed: JSON.stringify(args.removed),
      ...(args.outcome === undefined ? {} : { outcome: args.outcome, finished_at: sql<Date>`now()`, error: args.error ?? null }),
    })
    .where('id', '=', args.id)
    .execute();
}

/** The latest runs first. */
export async function listPurgeRuns(db: Db, args: { readonly limit: number }): Promise<PurgeRunRow[]> {
  const rows = await db.selectFrom('purge_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(args.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    node: row.node,
    trigger: row.trigger,
    dryRun: row.dry_run,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    error: row.error,
    removed: row.removed as PurgeTally[],
  }));
}
