import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database, SourceRow } from '../../db/database-schema.js';
import { listSources, type ExpectedIntervals } from '../../db/sources-repository.js';
import type { AuthState } from '../auth.js';
import { parseInput } from '../parse-input.js';
import { sourcesQuerySchema } from './sources-schemas.js';

/** More than this many sources in one answer means the filter is too wide; the answer says so. */
const MAX_SOURCES = 5000;

/**
 * Source health: for every customer's group (grid, master server) and module, the last arrival
 * and whether it is overdue by the module's expected interval. A customer key sees its own only.
 */
export function sourcesRoutes(db: Kysely<Database>, intervals: ExpectedIntervals): Router<AuthState> {
  const router = new Router<AuthState>();
  router.get('/sources', async (ctx) => {
    const query = parseInput(sourcesQuerySchema, ctx.query, 'query');
    const { caller } = ctx.state;
    const customer = caller.role === 'admin' ? query.customer : caller.customer!;
    if (caller.role !== 'admin' && query.customer !== undefined && query.customer !== caller.customer) {
      ctx.body = { sources: [], checkedAt: new Date().toISOString(), truncated: false };
      return;
    }
    const rows = await listSources(db, {
      filter: { customer, category: query.category, type: query.type, group: query.group },
      limit: MAX_SOURCES + 1,
    });
    const now = new Date();
    const sources = rows
      .slice(0, MAX_SOURCES)
      .map((row) => sourceView(row, intervals, now))
      .filter((source) => query.silent === undefined || source.silent === (query.silent === 'true'));
    ctx.body = { sources, checkedAt: now.toISOString(), truncated: rows.length > MAX_SOURCES };
  });
  return router;
}

export function sourceView(row: SourceRow, intervals: ExpectedIntervals, now: Date) {
  const expectedIntervalHours = intervals[`${row.category}/${row.type}`] ?? null;
  const quietSeconds = Math.max(0, Math.floor((now.getTime() - row.last_received_at.getTime()) / 1000));
  return {
    customer: row.customer,
    group: row.group_name,
    category: row.category,
    type: row.type,
    firstReceivedAt: row.first_received_at.toISOString(),
    lastReceivedAt: row.last_received_at.toISOString(),
    lastJobId: row.last_job_id,
    arrivals: Number(row.arrivals),
    expectedIntervalHours,
    silent: expectedIntervalHours !== null && quietSeconds > expectedIntervalHours * 3600,
    quietSeconds,
  };
}
