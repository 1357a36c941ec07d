import Router from '@koa/router';
import type { Kysely } from 'kysely';
import type { Database, JobRow } from '../../db/database-schema.js';
import { summarizeJobs } from '../../db/job-summary-repository.js';
import { listJobSummaries } from '../../db/job-list-repository.js';
import { findJob, isUuid, listJobEvents, type JobListCursor } from '../../db/jobs-repository.js';
import { canSeeJob, type AuthState } from '../auth.js';
import { badRequest, notFound } from '../http-error.js';
import { jobFilterFrom, parseTime } from './job-filter-params.js';
import { jobDetailView, jobSummaryView } from './job-view.js';
import { parseInput, queryOf } from '../parse-input.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, jobListQuerySchema, jobSummaryQuerySchema } from './jobs-schemas.js';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

/** The summary's window when none is given. */
const DEFAULT_SUMMARY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** GET /jobs, /jobs/summary and /jobs/:id; customer keys only ever see their own customer's jobs. */
export function jobsRoutes(db: Kysely<Database>): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get('/jobs', async (ctx) => {
    const query = parseInput(jobListQuerySchema, queryOf(ctx, ['status']), 'query');
    const limit = parseLimit(query.limit);
    const after = query.cursor === undefined || query.cursor === '' ? undefined : decodeCursor(query.cursor);
    const filter = jobFilterFrom(query, ctx.state.caller);
    if (filter === undefined) {
      ctx.body = { jobs: [], next: null };
      return;
    }
    const rows = await listJobSummaries(db, { filter, limit: limit + 1, ...(after === undefined ? {} : { after }) });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    ctx.body = {
      jobs: page.map(jobSummaryView),
      next: rows.length > limit && last !== undefined ? encodeCursor({ receivedAt: last.received_at, id: last.id }) : null,
    };
  });

  // Registered before /jobs/:id, which would otherwise take "summary" for an id.
  router.get('/jobs/summary', async (ctx) => {
    const query = parseInput(jobSummaryQuerySchema, queryOf(ctx), 'query');
    const until = parseTime(query.received_until, 'received_until') ?? new Date();
    const since = parseTime(query.received_since, 'received_since') ?? new Date(until.getTime() - DEFAULT_SUMMARY_WINDOW_MS);
    if (since >= until) throw badRequest('received_until', 'must be later than received_since');
    const window = { received_since: since.toISOString(), received_until: until.toISOString() };
    const filter = jobFilterFrom({ ...(query.customer === undefined ? {} : { customer: query.customer }), ...window }, ctx.state.caller);
    const summary = filter === undefined ? { total: 0, byStatus: {}, byType: {}, byCustomer: {} } : await summarizeJobs(db, filter);
    ctx.body = { receivedSince: window.received_since, receivedUntil: window.received_until, ...summary };
  });

  router.get('/jobs/:id', async (ctx) => {
    const job = await findVisibleJob(db, ctx.state, ctx.params.id);
    ctx.body = jobDetailView(job, await listJobEvents(db, job.id));
  });

  return router;
}

/** The job, if it exists and the caller may see it; otherwise the same 404 either way (no enumeration). */
export async function findVisibleJob(db: Kysely<Database>, state: AuthState, id: string | undefined): Promise<JobRow> {
  const job = id !== undefined && isUuid(id) ? await findJob(db, id) : undefined;
  if (job === undefined || !canSeeJob(state.caller, job)) throw notFound('job');
  return job;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(value)) throw badRequest('limit', 'must be a positive integer');
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Number(value)));
}

export function encodeCursor(cursor: JobListCursor): string {
  return Buffer.from(`${cursor.receivedAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): JobListCursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const receivedAt = new Date(at ?? '');
  if (id === undefined || !isUuid(id) || Number.isNaN(receivedAt.getTime())) throw badRequest('cursor', 'is not a cursor this API returned');
  return { receivedAt, id };
}
