import { sql, type Kysely } from 'kysely';
import type { Database, JobStatus } from './database-schema.js';
import { applyJobFilter, type JobListFilter } from './job-filter.js';

export interface JobSummary {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Keyed `<category>/<type>`. */
  readonly byType: Readonly<Record<string, number>>;
  readonly byCustomer: Readonly<Record<string, number>>;
}

/** Counts by status, by module and by customer in one pass over the filtered jobs (GROUPING SETS). */
export async function summarizeJobs(db: Kysely<Database>, filter: JobListFilter): Promise<JobSummary> {
  const rows = await applyJobFilter(db.selectFrom('jobs'), filter)
    .select([
      'jobs.status',
      'jobs.category',
      'jobs.type',
      'jobs.customer',
      sql<string>`count(*)`.as('count'),
      sql<number>`grouping(jobs.status)`.as('no_status'),
      sql<number>`grouping(jobs.category, jobs.type)`.as('no_type'),
      sql<number>`grouping(jobs.customer)`.as('no_customer'),
    ])
    .groupBy(sql`GROUPING SETS ((jobs.status), (jobs.category, jobs.type), (jobs.customer))`)
    .execute();
  const byStatus: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const byCustomer: Record<string, number> = {};
  let total = 0;
  for (const row of rows) {
    const count = Number(row.count);
    if (Number(row.no_status) === 0) {
      byStatus[row.status] = count;
      total += count;
    } else if (Number(row.no_type) === 0) {
      byType[`${row.category}/${row.type}`] = count;
    } else if (Number(row.no_customer) === 0) {
      byCustomer[row.customer] = count;
    }
  }
  return { total, byStatus, byType, byCustomer };
}

/**
 * How many jobs match, counting no further than `atMost` when given (so a guard such as "at most
 * 1,000 jobs per replay" never counts millions of rows).
 */
export async function countJobs(db: Kysely<Database>, args: { readonly filter: JobListFilter; readonly atMost?: number }): Promise<number> {
  const matching = applyJobFilter(db.selectFrom('jobs'), args.filter).select(sql<number>`1`.as('one'));
  const bounded = args.atMost === undefined ? matching : matching.limit(args.atMost);
  const row = await db
    .selectFrom(bounded.as('matching'))
    .select(sql<string>`count(*)`.as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Jobs not yet finished, by state and module: small sets, read through the status index. */
export const ACTIVE_STATUSES = ['queued', 'running', 'held', 'unclassified'] as const satisfies readonly JobStatus[];

export async function countActiveJobs(db: Kysely<Database>): Promise<Array<{ status: string; category: string; type: string; count: number }>> {
  const rows = await db
    .selectFrom('jobs')
    .select(['status', 'category', 'type', sql<string>`count(*)`.as('count')])
    .where('status', 'in', ACTIVE_STATUSES)
    .groupBy(['status', 'category', 'type'])
    .execute();
  return rows.map((row) => ({ status: row.status, category: row.category, type: row.type, count: Number(row.count) }));
}
