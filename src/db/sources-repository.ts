import { sql, type Kysely } from 'kysely';
import type { Database, SourceRow } from './database-schema.js';

/**
 * The merge of a new arrival into its source row (migration 0012): counts it, keeps the earliest
 * first arrival, and the latest last arrival with its job (an older arrival staged late, a replay
 * of old mail, never moves it back). For `INSERT INTO sources AS s … ` statements.
 */
export const MERGE_SOURCE_ARRIVAL = sql`ON CONFLICT (customer, category, type, group_name) DO UPDATE SET
  arrivals = s.arrivals + EXCLUDED.arrivals,
  first_received_at = least(s.first_received_at, EXCLUDED.first_received_at),
  last_job_id = CASE WHEN EXCLUDED.last_received_at >= s.last_received_at THEN EXCLUDED.last_job_id ELSE s.last_job_id END,
  last_received_at = greatest(s.last_received_at, EXCLUDED.last_received_at)`;

/** Hours after which a module's source counts as silent ("<category>/<type>" → hours). */
export type ExpectedIntervals = Readonly<Record<string, number>>;

export interface SourceFilter {
  readonly customer?: string | undefined;
  readonly category?: string | undefined;
  readonly type?: string | undefined;
  readonly group?: string | undefined;
}

/** The sources (migration 0012) by customer, group and module; at most `limit` rows. */
export async function listSources(db: Kysely<Database>, args: { readonly filter: SourceFilter; readonly limit: number }): Promise<SourceRow[]> {
  const { filter } = args;
  let query = db.selectFrom('sources').selectAll();
  if (filter.customer !== undefined) query = query.where('customer', '=', filter.customer);
  if (filter.category !== undefined) query = query.where('category', '=', filter.category);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.group !== undefined) query = query.where('group_name', '=', filter.group);
  return query.orderBy('customer').orderBy('group_name').orderBy('category').orderBy('type').limit(args.limit).execute();
}

/** Silent sources per customer and module, for the metric: quiet longer than their module's interval. */
export async function countSilentSources(
  db: Kysely<Database>,
  intervals: ExpectedIntervals,
): Promise<Array<{ customer: string; category: string; type: string; count: number }>> {
  const entries = Object.entries(intervals);
  if (entries.length === 0) return [];
  const result = await sql<{ customer: string; category: string; type: string; count: string }>`
    SELECT s.customer, s.category, s.type, count(*) AS count
      FROM sources s
      JOIN unnest(${entries.map(([key]) => key)}::text[], ${entries.map(([, hours]) => hours)}::float8[]) AS e(module, hours)
        ON e.module = s.category || '/' || s.type
     WHERE s.last_received_at < now() - make_interval(secs => e.hours * 3600)
     GROUP BY s.customer, s.category, s.type`.execute(db);
  return result.rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/** One silent source: quiet for longer than its module's interval. */
export interface SilentSource {
  readonly customer: string;
  readonly category: string;
  readonly type: string;
  readonly group: string;
  readonly lastReceivedAt: Date;
  readonly expectedIntervalHours: number;
}

/** The silent sources themselves (the alert checks open one condition each), at most `limit`, quietest first. */
export async function listSilentSources(
  db: Kysely<Database>,
  args: { readonly intervals: ExpectedIntervals; readonly limit: number },
): Promise<SilentSource[]> {
  const entries = Object.entries(args.intervals);
  if (entries.length === 0) return [];
  const result = await sql<{ customer: string; category: string; type: string; group_name: string; last_received_at: Date; hours: number }>`
    SELECT s.customer, s.category, s.type, s.group_name, s.last_received_at, e.hours
      FROM sources s
      JOIN unnest(${entries.map(([key]) => key)}::text[], ${entries.map(([, hours]) => hours)}::float8[]) AS e(module, hours)
        ON e.module = s.category || '/' || s.type
     WHERE s.last_received_at < now() - make_interval(secs => e.hours * 3600)
     ORDER BY s.last_received_at, s.customer, s.group_name, s.category, s.type
     LIMIT ${args.limit}`.execute(db);
  return result.rows.map((row) => ({
    customer: row.customer,
    category: row.category,
    type: row.type,
    group: row.group_name,
    lastReceivedAt: row.last_received_at,
    expectedIntervalHours: row.hours,
  }));
}
